"""Checks of the credentials and the endpoint: E001, W002, W003, E018, E023."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.client.configured import account_config
from django_ekyc.client.credentials import provider_problem
from django_ekyc.conf import EkycSettings
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.offering import account_endpoint

PLACEHOLDERS = ("", "changeme", "your-access-key-id", "youraccesskeyid", "demo-access-key-id", "xxx")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")  # noqa: S104 - compared, not bound


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [
        *_credentials(ekyc.ACCESS_KEY_ID, ekyc.ACCESS_KEY_SECRET, ekyc.CREDENTIALS),
        *_nothing_to_sign_with(),
        *_providers(ekyc),
        *_endpoint(),
    ]


def _credentials(key_id: str, secret: str, provider: object) -> list[CheckMessage]:
    if settings.DEBUG or provider is not None:  # a credentials provider signs: E023 checks it
        return []
    if key_id.strip().lower() in PLACEHOLDERS or secret.strip().lower() in (
        *PLACEHOLDERS,
        "demo-access-key-secret",
    ):
        return [
            Error(
                "EKYC ACCESS_KEY_ID / ACCESS_KEY_SECRET are missing or placeholders.",
                hint="Set the AccessKey of a RAM user with AliyunAntCloudAuthFullAccess (from the environment), or "
                "CREDENTIALS: temporary credentials of a RAM role with that policy.",
                id="django_ekyc.E001",
            )
        ]
    return []


def _nothing_to_sign_with() -> list[CheckMessage]:
    """In DEBUG, where E001 is quiet: the same test the client makes before it signs, so that a site that cannot
    start a single verification hears it from ``check`` rather than from its first start."""
    if not settings.DEBUG:
        return []
    config = account_config()  # in development mode, the AccessKey the simulator accepts
    if (config["ACCESS_KEY_ID"] and config["ACCESS_KEY_SECRET"]) or config["CREDENTIALS"] is not None:
        return []
    return [
        Error(
            "EKYC ACCESS_KEY_ID and ACCESS_KEY_SECRET are not both set, nor CREDENTIALS: no request to the provider "
            "can be signed, so every start fails.",
            hint="While you build, set only SIMULATOR_URL (http://127.0.0.1:8765) and run manage.py ekyc_simulator; "
            "otherwise set both (from the environment), or CREDENTIALS (temporary credentials).",
            id="django_ekyc.E018",
        )
    ]


def _providers(ekyc: EkycSettings) -> list[CheckMessage]:
    """``CREDENTIALS`` (top-level, and per account) must name a credentials provider, and be the only way an
    account signs. Checked without building the provider: no factory is called, no refresh thread started."""
    top = {
        "ACCESS_KEY_ID": ekyc.ACCESS_KEY_ID,
        "ACCESS_KEY_SECRET": ekyc.ACCESS_KEY_SECRET,
        "CREDENTIALS": ekyc.CREDENTIALS,
    }
    accounts = [("", top), *((name, config) for name, config in ekyc.ACCOUNTS.items() if isinstance(config, Mapping))]
    messages: list[CheckMessage] = []
    for name, config in accounts:
        if config.get("CREDENTIALS") is None:
            continue
        problem = provider_problem(config["CREDENTIALS"])
        if problem is None and (config.get("ACCESS_KEY_ID") or config.get("ACCESS_KEY_SECRET")):
            problem = "EKYC sets both CREDENTIALS and an AccessKey: which one signs would be a guess; keep one."
        if problem:
            text = f"ACCOUNTS[{name!r}]: {problem}" if name else problem
            hint = "See Security and privacy, Temporary credentials."
            messages.append(Error(text, hint=hint, id="django_ekyc.E023"))
    return messages


def _endpoint() -> list[CheckMessage]:
    try:
        endpoint = account_endpoint()
    except EkycConfigurationError:  # an unknown REGION, which E012 reports
        return []
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    messages: list[CheckMessage] = []
    local = (parts.hostname or "") in LOOPBACK
    if parts.scheme != "https" and not (settings.DEBUG and local):
        messages.append(
            Warning(
                f"EKYC ENDPOINT {endpoint!r} is not https: signed requests and identity data would travel in clear.",
                id="django_ekyc.W002",
            )
        )
    if local and not settings.DEBUG:
        messages.append(
            Warning(
                "EKYC ENDPOINT points at this machine, like the simulator, while DEBUG is off.",
                hint="Use https://cloudauth-intl.cn-hongkong.aliyuncs.com (the default) in production.",
                id="django_ekyc.W003",
            )
        )
    return messages
