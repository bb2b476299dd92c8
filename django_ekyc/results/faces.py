"""The face library's answers: a search's matches and scores, a registration, a page of records, a deletion."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from django_ekyc.results._base import empty, float_or_none, freeze, parse_json_object


@dataclass(frozen=True)
class FaceMatch:
    """One face library record that holds the same person: its library, the provider's face id, and the
    ``MerchantUserId`` it was registered under; ``score`` is the comparison score (0-100) when the answer gives one
    (FaceVerifyIntl's DuplicateFace documents "the face ID, user ID, and comparison score")."""

    face_group: str
    face_id: str
    merchant_user_id: str
    score: float | None = None


def parse_face_matches(value: Any) -> tuple[FaceMatch, ...]:
    """``DuplicateFace``: a JSON array (or its string) of ``{faceGroupCode, faceId, merchantUserId, score}``.

    The SDK documents the field as a string holding "the face ID, user ID, and comparison score" and names no key:
    these names are the simulator's reading (``faceComparisonScore`` is taken for the score too). Entries without a
    user id are skipped (nothing could be done with them)."""
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
                score=float_or_none(item.get("score", item.get("faceComparisonScore"))),
            )
        )
    return tuple(matches)


@dataclass(frozen=True)
class FaceQuality:
    """A picture's quality scores, 0 to 100, higher is better (``ExtFaceInfo``: FaceQualityScore, IlluminationScore,
    KaOcclusionScore, OcclusionScore, SharpnessScore; the reference picture's are the same names with ``Target``
    before them). None where the answer has no readable score."""

    overall: float | None = None
    illumination: float | None = None
    key_area_occlusion: float | None = None
    occlusion: float | None = None
    sharpness: float | None = None

    NAMES: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "overall": "FaceQualityScore",
            "illumination": "IlluminationScore",
            "key_area_occlusion": "KaOcclusionScore",
            "occlusion": "OcclusionScore",
            "sharpness": "SharpnessScore",
        }
    )

    @classmethod
    def from_ext_face_info(cls, info: Mapping[str, Any], prefix: str = "") -> FaceQuality:
        return cls(**{name: float_or_none(info.get(prefix + key)) for name, key in cls.NAMES.items()})

    def __bool__(self) -> bool:
        return any(getattr(self, name) is not None for name in self.NAMES)


@dataclass(frozen=True)
class FaceSearchResult:
    """The provider's answer to a server-side face check (``FaceVerifyIntl`` or ``FaceDuplicationCheckIntl``, whose
    answers have the same fields): who else has this face, whether it was registered, and the scores.

    ``comparison_score`` (0-100) is the comparison with the reference picture (verification modes 1 and 2);
    ``attacked`` and ``attack_score`` (0-100, the probability of an attack) are answered when passive liveness ran;
    ``quality`` and ``target_quality`` are the submitted and the reference pictures' quality scores (``ExtFaceInfo``,
    an object in these answers, a JSON string elsewhere: both are read). ``transaction_id`` is the provider's."""

    request_id: str
    passed: bool
    sub_code: str | None
    matches: tuple[FaceMatch, ...] = ()
    registered: bool = False
    registration_id: str = ""
    attacked: bool = False
    transaction_id: str = ""
    comparison_score: float | None = None
    attack_score: float | None = None
    quality: FaceQuality = field(default_factory=FaceQuality)
    target_quality: FaceQuality = field(default_factory=FaceQuality)
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceSearchResult:
        result = body["Result"]
        sub_code = result.get("SubCode")
        info = parse_json_object(result.get("ExtFaceInfo"))
        return cls(
            request_id=str(body.get("RequestId") or ""),
            passed=str(result.get("FacePassed", result.get("Passed", ""))).upper() == "Y",
            sub_code=None if sub_code in (None, "") else str(sub_code),
            matches=parse_face_matches(result.get("DuplicateFace")),
            registered=str(result.get("FaceRegistrationResult", "")) == "1",
            registration_id=str(result.get("FaceRegistrationId") or ""),
            attacked=str(result.get("FaceAttack", "")).upper() == "Y",
            transaction_id=str(result.get("TransactionId") or ""),
            comparison_score=float_or_none(result.get("FaceComparisonScore")),
            attack_score=float_or_none(result.get("FaceAttackScore")),
            quality=FaceQuality.from_ext_face_info(info),
            target_quality=FaceQuality.from_ext_face_info(info, prefix="Target"),
            raw=freeze(body),
        )


@dataclass(frozen=True)
class FaceUploadResult:
    """The provider's answer to ``AddFaceRecord``."""

    request_id: str
    passed: bool
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

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
    """One page of ``QueryFaceRecord`` (its fields sit beside ``RequestId``, not under ``Result``).

    ``total`` records in ``total_pages`` pages; ask for the next page with ``next_token`` (the provider's opaque
    token, empty on the last page) or by number (``page`` + 1)."""

    request_id: str
    total: int
    records: tuple[FaceRecord, ...]
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)
    total_pages: int = 1
    next_token: str = ""
    page: int = 1
    page_size: int = 0

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> FaceRecordPage:
        items = body.get("Items") or []
        if not isinstance(items, list):
            raise ValueError("Items is not a list")
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
            page=int(body.get("CurrentPage") or 1),
            page_size=int(body.get("PageSize") or 0),
        )


@dataclass(frozen=True)
class FaceDeletionResult:
    """The provider's answer to ``DeleteFaceRecordV2``: whether it deleted, and from which libraries."""

    request_id: str
    deleted: bool
    groups: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

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
