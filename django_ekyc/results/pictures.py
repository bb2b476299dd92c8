"""The answers of the checks from the site's pictures: one verdict, its scores, and what a document says.

The operations answer in two shapes: most under ``Result`` with ``Passed`` (``Y``/``N``; EkycVerify's SDK model
says ``T``/``F``, and both are read), DeepfakeDetectIntl under ``ResultObject`` with a risk (``0`` low, ``1``
high, ``2`` suspicious). ``ExtIdInfo`` and ``ExtFaceInfo`` come as JSON strings or objects; both are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_ekyc.results._base import empty, float_or_none, freeze, parse_json_object
from django_ekyc.results.faces import FaceQuality

PASSED_VALUES = frozenset({"Y", "T"})
LOW_RISK = "0"


@dataclass(frozen=True)
class PictureResult:
    """One check's answer. ``passed`` is the provider's verdict; ``risk`` (``0``/``1``/``2``), ``risk_tags`` and
    ``risk_scores`` are DeepfakeDetectIntl's; ``comparison_score`` (0-100) a face comparison's; ``attacked``
    whether liveness saw an attack. ``ext_id_info`` and ``ext_face_info`` hold identity data: not in ``repr``."""

    request_id: str
    passed: bool
    transaction_id: str = ""
    sub_code: str = ""
    comparison_score: float | None = None
    attacked: bool | None = None
    risk: str = ""
    risk_tags: tuple[str, ...] = ()
    risk_scores: Mapping[str, Any] = field(default_factory=empty)
    quality: FaceQuality = field(default_factory=FaceQuality)
    ext_id_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_face_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    ext_card_info: Mapping[str, Any] = field(default_factory=empty, repr=False)
    raw: Mapping[str, Any] = field(default_factory=empty, repr=False, compare=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> PictureResult:
        if "ResultObject" in body:
            return cls._from_risk(body)
        result = body["Result"]
        face = parse_json_object(result.get("ExtFaceInfo"))
        attack = face.get("FaceAttack", face.get("faceAttack"))
        score = result.get("FaceComparisonScore", face.get("faceComparisonScore"))
        return cls(
            request_id=str(body.get("RequestId") or ""),
            passed=str(result.get("Passed", "")).upper() in PASSED_VALUES,
            transaction_id=str(result.get("TransactionId") or ""),
            sub_code=str(result.get("SubCode") or ""),
            comparison_score=float_or_none(score),
            attacked=None if attack is None else str(attack).upper() == "Y",
            quality=FaceQuality.from_ext_face_info(face),
            ext_id_info=parse_json_object(result.get("ExtIdInfo")),
            ext_face_info=face,
            ext_card_info=parse_json_object(result.get("ExtCardInfo")),
            raw=freeze(body),
        )

    @classmethod
    def _from_risk(cls, body: Mapping[str, Any]) -> PictureResult:
        result = body["ResultObject"]
        risk = str(result.get("Result", ""))
        tags = str(result.get("RiskTag") or "")
        return cls(
            request_id=str(body.get("RequestId") or ""),
            passed=risk == LOW_RISK,
            transaction_id=str(result.get("TransactionId") or ""),
            risk=risk,
            risk_tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
            risk_scores=parse_json_object(result.get("RiskScore")),
            raw=freeze(body),
        )

    @property
    def ocr_fields(self) -> Mapping[str, Any]:
        """What the document says (``ExtIdInfo.ocrIdInfo``, else ``ExtCardInfo``): personal data."""
        fields = parse_json_object(self.ext_id_info.get("ocrIdInfo"))
        return fields or self.ext_card_info
