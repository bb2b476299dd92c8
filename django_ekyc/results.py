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
