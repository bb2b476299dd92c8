"""Parameter rules the simulator enforces, as the provider documents them.

Kept apart from the client on purpose: the client passes parameters through
and lets the provider judge, and the simulator stands in for that judge. Only
documented constraints are enforced; where the documentation is silent
(``MerchantUserId``'s length, for instance) the simulator accepts.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

INITIALIZE_REQUIRED = ("ProductCode", "MerchantBizId", "MetaInfo", "MerchantUserId", "DocType", "ReturnUrl")
CHECK_RESULT_REQUIRED = ("MerchantBizId", "TransactionId")
DELETE_REQUIRED = ("TransactionId", "DeleteAfterQuery", "DeleteType")

SUPPORTED_PRODUCT_CODES = frozenset({"eKYC"})

ENUMS: dict[str, frozenset[str]] = {
    "IdSpoof": frozenset({"Y", "N"}),
    "Authorize": frozenset({"T", "F"}),
    "SecurityLevel": frozenset({"01", "02"}),
    "IdThreshold": frozenset({"0", "1", "2", "3"}),
    "Model": frozenset({"LIVENESS", "PHOTINUS_LIVENESS"}),
    "DocVideo": frozenset({"Y", "N"}),
    "ShowAlbumIcon": frozenset({"0", "1"}),
    "ShowOcrResult": frozenset({"0", "1"}),
    "ShowGuidePage": frozenset({"0", "1"}),
    "EditOcrResult": frozenset({"0", "1"}),
    "ProcedurePriority": frozenset({"url", "keep"}),
    "Pages": frozenset({"01", "01,02"}),
    "DocScanMode": frozenset({"auto", "manual"}),
    "UseNFC": frozenset({"Y", "N"}),
    "IsReturnImage": frozenset({"Y", "N"}),
    "DeleteAfterQuery": frozenset({"Y", "N"}),
    "DeleteType": frozenset({"Img", "Text"}),
}

PATTERNS: dict[str, re.Pattern[str]] = {
    "MerchantBizId": re.compile(r"[A-Za-z0-9]{1,32}"),
    "SceneCode": re.compile(r"[A-Za-z0-9_]{1,10}"),
    # Eight digits, and the two nine-digit codes of the documented table.
    "DocType": re.compile(r"\d{8,9}"),
}

JSON_OBJECTS = ("MetaInfo", "LanguageConfig", "StyleConfig")


class ParameterError(Exception):
    """A parameter is missing or invalid; ``code`` is the provider's error code."""

    def __init__(self, code: str, parameter: str, detail: str = "") -> None:
        self.code = code
        self.parameter = parameter
        if code == "MissingParameter":
            message = (
                f'The input parameter "{parameter}" that is mandatory for processing this request is not supplied.'
            )
        else:
            message = f'The specified parameter "{parameter}" is not valid.' + (f" {detail}" if detail else "")
        super().__init__(message)
        self.message = message


def require(params: Mapping[str, str], names: tuple[str, ...]) -> None:
    for name in names:
        if not params.get(name, "").strip():
            raise ParameterError("MissingParameter", name)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(name: str, value: str, *, https_only: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError("InvalidParameter", name, "An absolute http(s) URL is expected.")
    # The provider only calls https callbacks. The simulator also accepts plain
    # http to a loopback host so that a local test server can receive them.
    if https_only and parts.scheme != "https" and not _is_loopback(parts.hostname):
        raise ParameterError("InvalidParameter", name, "The callback URL must use https.")


def _check_json_object(name: str, value: str) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ParameterError("InvalidParameter", name, "A JSON object string is expected.")


def check_values(params: Mapping[str, str]) -> None:
    for name, allowed in ENUMS.items():
        if name in params and params[name] not in allowed:
            raise ParameterError("InvalidParameter", name, f"Valid values: {', '.join(sorted(allowed))}.")
    for name, pattern in PATTERNS.items():
        if name in params and not pattern.fullmatch(params[name]):
            raise ParameterError("InvalidParameter", name)
    for name in JSON_OBJECTS:
        if name in params:
            _check_json_object(name, params[name])


def validate_initialize(params: Mapping[str, str]) -> None:
    require(params, INITIALIZE_REQUIRED)
    if params["ProductCode"] not in SUPPORTED_PRODUCT_CODES:
        raise ParameterError("InvalidParameter", "ProductCode", "The simulator implements the eKYC solution only.")
    check_values(params)
    _check_url("ReturnUrl", params["ReturnUrl"], https_only=False)
    if params.get("CallbackUrl"):
        _check_url("CallbackUrl", params["CallbackUrl"], https_only=True)
    if params.get("Authorize") == "T" and params["DocType"] != "00000001":
        raise ParameterError(
            "InvalidParameter", "Authorize", "Official data verification supports only mainland ID cards (00000001)."
        )


def validate_check_result(params: Mapping[str, str]) -> None:
    require(params, CHECK_RESULT_REQUIRED)
    check_values(params)


def validate_delete(params: Mapping[str, str]) -> None:
    require(params, DELETE_REQUIRED)
    check_values(params)
