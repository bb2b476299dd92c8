"""Typed, immutable answers of the provider.

The provider returns several results as JSON *strings* inside the JSON body
(``ExtIdInfo``, ``ExtFaceInfo``...). They are parsed here, defensively: fields
vary by document and region, and a result must never fail to load because a
field we do not know about appeared. The raw answer is kept for audits.

Identity data (names, document numbers, images) is kept out of ``repr`` so a
result that ends up in a log line or a traceback does not leak it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

EMPTY: Mapping[str, Any] = MappingProxyType({})
# What a provider TransactionId looks like ("hks" and hex digits today); anything else is not stored.
TRANSACTION_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def parse_json_object(value: Any) -> Mapping[str, Any]:
    """Return a JSON object string as a read-only mapping; anything else as empty."""
    if isinstance(value, Mapping):
        return MappingProxyType(dict(value))
    if not isinstance(value, str) or not value.strip():
        return EMPTY
    try:
        parsed = json.loads(value)
    except ValueError:
        return EMPTY
    return MappingProxyType(parsed) if isinstance(parsed, dict) else EMPTY


def _empty() -> Mapping[str, Any]:
    return EMPTY


def freeze(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(raw))


@dataclass(frozen=True)
class InitializeResult:
    """A verification the provider has opened.

    ``transaction_url`` is single-use and hands the verification to whoever
    holds it: give it to the user's browser once and do not store it.
    """

    request_id: str
    transaction_id: str
    transaction_url: str = field(repr=False)
    protocol: str | None = field(default=None, repr=False)
    client_cfg: str | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> InitializeResult:
        result = body.get("Result") or {}
        transaction_id = str(result["TransactionId"])
        if not TRANSACTION_ID_RE.fullmatch(transaction_id):
            raise ValueError("TransactionId has an unexpected form")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            transaction_id=transaction_id,
            transaction_url=str(result.get("TransactionUrl") or ""),
            protocol=result.get("Protocol"),
            client_cfg=result.get("ClientCfg"),
            raw=freeze(body),
        )


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of a finished verification (``CheckResult``).

    ``passed`` is the provider's decision; ``sub_code`` says why (200 passed,
    204 face mismatch, 205 liveness risk, 212 document spoof...). The ``ext_*``
    mappings are the parsed ``Ext*`` JSON strings and hold personal data.
    """

    request_id: str
    passed: bool
    sub_code: str | None
    ext_id_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ext_face_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ext_basic_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ext_risk_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ext_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ext_source_info: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    ekyc_result: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> VerificationResult:
        result = body.get("Result") or {}
        sub_code = result.get("SubCode")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            passed=str(result.get("Passed", "")).upper() == "Y",
            sub_code=None if sub_code in (None, "") else str(sub_code),
            ext_id_info=parse_json_object(result.get("ExtIdInfo")),
            ext_face_info=parse_json_object(result.get("ExtFaceInfo")),
            ext_basic_info=parse_json_object(result.get("ExtBasicInfo")),
            ext_risk_info=parse_json_object(result.get("ExtRiskInfo")),
            ext_info=parse_json_object(result.get("ExtInfo")),
            ext_source_info=parse_json_object(result.get("ExtSourceInfo")),
            ekyc_result=parse_json_object(result.get("EkycResult")),
            raw=freeze(body),
        )

    @property
    def ocr_id_info(self) -> Mapping[str, Any]:
        """The fields read from the document (``ExtIdInfo.ocrIdInfo``)."""
        return parse_json_object(self.ext_id_info.get("ocrIdInfo"))

    @property
    def spoof_detected(self) -> bool:
        spoof = parse_json_object(self.ext_id_info.get("spoofInfo"))
        return str(spoof.get("spoofResult", "")).upper() == "Y"

    @property
    def face_comparison_score(self) -> float | None:
        try:
            return float(self.ext_face_info["faceComparisonScore"])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def face_image(self) -> str | None:
        """The live face picture (base64), when the result was asked for with images."""
        image = self.ext_face_info.get("faceImg")
        return image if isinstance(image, str) and image else None

    @property
    def face_attacked(self) -> bool:
        """The liveness check saw an attack (a photo, a screen, a mask, a deep fake)."""
        return str(self.ext_face_info.get("faceAttack", "")).upper() == "Y" or self.sub_code == "205"

    @property
    def face_matches(self) -> tuple[FaceMatch, ...]:
        """The face library records that hold the same person (a FACE_IDU search): ``duplicateFace``, read
        from ExtFaceInfo or else ExtInfo, as a list or a JSON string."""
        for info in (self.ext_face_info, self.ext_info):
            for key in ("duplicateFace", "DuplicateFace"):
                if key in info:
                    return parse_face_matches(info[key])
        return ()


@dataclass(frozen=True)
class FaceMatch:
    """One face library record that holds the same person: its library, the provider's face id, and the
    ``MerchantUserId`` it was registered under."""

    face_group: str
    face_id: str
    merchant_user_id: str
    score: float | None = None


def parse_face_matches(value: Any) -> tuple[FaceMatch, ...]:
    """``DuplicateFace``: a JSON array (or its string) of ``{faceGroupCode, faceId, merchantUserId}``; entries
    without a user id are skipped (nothing could be done with them)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            return ()
    if not isinstance(value, list):
        return ()
    matches = []
    for item in value:
        if not isinstance(item, Mapping) or not item.get("merchantUserId"):
            continue
        matches.append(
            FaceMatch(
                face_group=str(item.get("faceGroupCode") or ""),
                face_id=str(item.get("faceId") or ""),
                merchant_user_id=str(item["merchantUserId"]),
                score=_float_or_none(item.get("score", item.get("faceComparisonScore"))),
            )
        )
    return tuple(matches)


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FaceSearchResult:
    """The provider's answer to a face library search (``FaceVerifyIntl``): who else has this face, and whether
    the face was registered."""

    request_id: str
    passed: bool
    sub_code: str | None
    matches: tuple[FaceMatch, ...] = ()
    registered: bool = False
    registration_id: str = ""
    attacked: bool = False
    # The provider's transaction, the comparison score (0-100, when a reference was compared), the probability
    # of an attack (0-100, when passive liveness ran) and the pictures' quality scores (ExtFaceInfo: FaceQualityScore,
    # SharpnessScore... and their Target* twins), as FaceVerifyIntl and FaceDuplicationCheckIntl answer them.
    transaction_id: str = ""
    comparison_score: float | None = None
    attack_score: float | None = None
    quality_scores: Mapping[str, float] = field(default_factory=_empty)
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceSearchResult:
        result = body["Result"]
        sub_code = result.get("SubCode")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            passed=str(result.get("FacePassed", result.get("Passed", ""))).upper() == "Y",
            sub_code=None if sub_code in (None, "") else str(sub_code),
            matches=parse_face_matches(result.get("DuplicateFace")),
            registered=str(result.get("FaceRegistrationResult", "")) == "1",
            registration_id=str(result.get("FaceRegistrationId") or ""),
            attacked=str(result.get("FaceAttack", "")).upper() == "Y",
            transaction_id=str(result.get("TransactionId") or ""),
            comparison_score=_float_or_none(result.get("FaceComparisonScore")),
            attack_score=_float_or_none(result.get("FaceAttackScore")),
            quality_scores=_quality_scores(result.get("ExtFaceInfo")),
            raw=freeze(body),
        )


def _quality_scores(value: Any) -> Mapping[str, float]:
    info = value if isinstance(value, Mapping) else parse_json_object(value)
    scores = {str(name): _float_or_none(score) for name, score in info.items() if str(name).endswith("Score")}
    return MappingProxyType({name: score for name, score in scores.items() if score is not None})


@dataclass(frozen=True)
class FaceUploadResult:
    """The provider's answer to ``AddFaceRecord``."""

    request_id: str
    passed: bool
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceUploadResult:
        result = body["Result"]
        return cls(str(body.get("RequestId") or ""), str(result.get("Passed", "")).upper() == "Y", freeze(body))


@dataclass(frozen=True)
class FaceRecord:
    """One face in a library (``QueryFaceRecord``); the image URL is not kept."""

    id: str
    face_id: str
    merchant_user_id: str
    registration_type: str = ""
    created: str = ""


@dataclass(frozen=True)
class FaceRecordPage:
    """One page of ``QueryFaceRecord``."""

    request_id: str
    total: int
    records: tuple[FaceRecord, ...]
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)
    total_pages: int = 1
    next_token: str = ""  # ask for the next page with it; empty on the last page

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceRecordPage:
        items = body.get("Items") or []
        records = tuple(
            FaceRecord(
                id=str(item.get("Id") or ""),
                face_id=str(item.get("FaceId") or ""),
                merchant_user_id=str(item.get("MerchantUserId") or ""),
                registration_type=str(item.get("RegistrationType") or ""),
                created=str(item.get("GmtCreate") or ""),
            )
            for item in items
            if isinstance(item, Mapping)
        )
        return cls(
            request_id=str(body.get("RequestId") or ""),
            total=int(body.get("TotalCount") or len(records)),
            records=records,
            raw=freeze(body),
            total_pages=int(body.get("TotalPage") or 1),
            next_token=str(body.get("NextToken") or ""),
        )


@dataclass(frozen=True)
class FaceDeletionResult:
    """The provider's answer to ``DeleteFaceRecordV2``: whether it deleted, and from which libraries."""

    request_id: str
    deleted: bool
    groups: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceDeletionResult:
        result = body["Result"]
        codes = str(result.get("DeletedGroupCodes") or "")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            deleted=str(result.get("Deleted", "")).upper() == "Y",
            groups=tuple(code.strip() for code in codes.split(",") if code.strip()),
            raw=freeze(body),
        )


@dataclass(frozen=True)
class DeletionResult:
    """The provider's answer to ``DeleteVerifyResult``."""

    request_id: str
    transaction_id: str
    deleted: bool
    raw: Mapping[str, Any] = field(default_factory=_empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> DeletionResult:
        result = body.get("Result") or {}
        return cls(
            request_id=str(body.get("RequestId") or ""),
            transaction_id=str(result.get("TransactionId") or ""),
            deleted=str(result.get("DeleteResult", "")).upper() == "Y",
            raw=freeze(body),
        )
