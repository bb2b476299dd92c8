"""Checks of the credentials and the endpoint: E001, W002, W003, E018."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from django_ekyc.client.configured import account_config
from django_ekyc.conf import EkycSettings
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.offering import account_endpoint

PLACEHOLDERS = ("", "changeme", "your-access-key-id", "youraccesskeyid", "demo-access-key-id", "xxx")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")  # noqa: S104 - compared, not bound


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [*_credentials(ekyc.ACCESS_KEY_ID, ekyc.ACCESS_KEY_SECRET), *_nothing_to_sign_with(), *_endpoint()]


def _credentials(key_id: str, secret: str) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    if key_id.strip().lower() in PLACEHOLDERS or secret.strip().lower() in (
        *PLACEHOLDERS,
        "demo-access-key-secret",
    ):
        return [
            Error(
                "EKYC ACCESS_KEY_ID / ACCESS_KEY_SECRET are missing or placeholders.",
                hint="Set the AccessKey of a RAM user with AliyunAntCloudAuthFullAccess (from the environment).",
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
    if config["ACCESS_KEY_ID"] and config["ACCESS_KEY_SECRET"]:
        return []
    return [
        Error(
            "EKYC ACCESS_KEY_ID and ACCESS_KEY_SECRET are not both set: no request to the provider can be signed, "
            "so every start fails.",
            hint="While you build, set only SIMULATOR_URL (http://127.0.0.1:8765) and run manage.py ekyc_simulator; "
            "otherwise set both (from the environment).",
            id="django_ekyc.E018",
        )
    ]


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
