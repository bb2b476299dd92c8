"""The hosted flow's answers: a verification opened (Initialize), its result (CheckResult), its deletion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_ekyc.results._base import TRANSACTION_ID_RE, empty, freeze, parse_json_object
from django_ekyc.results.faces import FaceMatch, parse_face_matches


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
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

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
    ext_id_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_face_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_basic_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_risk_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_source_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ekyc_result: Mapping[str, Any] = field(default_factory=empty, repr=False)
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

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
class DeletionResult:
    """The provider's answer to ``DeleteVerifyResult``."""

    request_id: str
    transaction_id: str
    deleted: bool
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> DeletionResult:
        result = body.get("Result") or {}
        return cls(
            request_id=str(body.get("RequestId") or ""),
            transaction_id=str(result.get("TransactionId") or ""),
            deleted=str(result.get("DeleteResult", "")).upper() == "Y",
            raw=freeze(body),
        )
