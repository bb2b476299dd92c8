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

from django_ekyc.catalogue.products import CATALOGUE
from django_ekyc.simulator.products import BEHAVIOURS

INITIALIZE_REQUIRED = ("ProductCode", "MerchantBizId", "MetaInfo", "MerchantUserId")
CHECK_RESULT_REQUIRED = ("MerchantBizId", "TransactionId")
DELETE_REQUIRED = ("TransactionId", "DeleteAfterQuery", "DeleteType")

GREATER_CHINA_DOC_TYPE = re.compile(r"\d{8,9}")
# Official data sources: the Chinese mainland ID card, and Indonesia's (with Email and Mobile).
AUTHORITATIVE_DOC_TYPES = frozenset({"00000001", "CHN01001", "IDN01001"})

ENUMS: dict[str, frozenset[str]] = {
    "IdSpoof": frozenset({"Y", "N"}),
    "Authorize": frozenset({"T", "F"}),
    "SecurityLevel": frozenset({"01", "02"}),
    "IdThreshold": frozenset({"0", "1", "2", "3"}),
    "Model": frozenset({"LIVENESS", "PHOTINUS_LIVENESS", "TEMPLATE"}),
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
    # eKYC's eight digits (and the two nine-digit codes of its table), or a country code and five digits.
    "DocType": re.compile(r"\d{8,9}|[A-Z]{3}\d{5}"),
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


def validate_initialize(params: Mapping[str, str], region: str, device_type: str) -> None:
    """The provider's checks of an Initialize, for a simulator standing for ``region``."""
    require(params, INITIALIZE_REQUIRED)
    check_values(params)
    if params.get("Model") == "TEMPLATE":  # the SDK: TemplateConfig is required when Model is TEMPLATE
        require(params, ("TemplateConfig",))
    product = CATALOGUE.get(params["ProductCode"])
    if product is None or product.code not in BEHAVIOURS:
        raise ParameterError("InvalidParameter", "ProductCode", f"Known products: {', '.join(BEHAVIOURS)}.")
    if region not in product.regions:
        raise ParameterError("InvalidParameter", "ProductCode", f"{product.code} is not offered in {region}.")
    if product.reads_document:
        _check_document(params, product.doc_types_in(region), product.code == "eKYC", region)
    if device_type not in ("ios", "android"):  # the web flow ends with a redirect; the app SDK returns to the app
        require(params, ("ReturnUrl",))
        _check_url("ReturnUrl", params["ReturnUrl"], https_only=False)
    if params.get("CallbackUrl"):
        _check_url("CallbackUrl", params["CallbackUrl"], https_only=True)


def _check_document(params: Mapping[str, str], accepted: Mapping[str, str], any_code: bool, region: str) -> None:
    require(params, ("DocType",))
    doc_type = params["DocType"]
    # eKYC takes any code of its eight-digit family (a site may override its table); eKYC_PRO reads only its
    # table's, and only those of the region.
    if any_code and not GREATER_CHINA_DOC_TYPE.fullmatch(doc_type):
        raise ParameterError("InvalidParameter", "DocType", "eKYC takes the eight-digit document codes.")
    if not any_code and doc_type not in accepted:
        raise ParameterError("InvalidParameter", "DocType", f"Not a document this product reads in {region}.")
    if params.get("Authorize") == "T" and doc_type not in AUTHORITATIVE_DOC_TYPES:
        raise ParameterError(
            "InvalidParameter", "Authorize", "Official data verification supports only the documents of a source."
        )


def validate_check_result(params: Mapping[str, str]) -> None:
    require(params, CHECK_RESULT_REQUIRED)
    check_values(params)


def validate_delete(params: Mapping[str, str]) -> None:
    require(params, DELETE_REQUIRED)
    check_values(params)
