"""System checks (``manage.py check``) with stable ids.

- ``django_ekyc.E001``: no AccessKey, or a placeholder one, outside DEBUG.
- ``django_ekyc.W002``: the endpoint is not https (credentials and identity data would travel in clear).
- ``django_ekyc.W003``: outside DEBUG, the endpoint points at this machine, as a simulator does.
- ``django_ekyc.E004``: outside DEBUG, no ``ENCRYPTION_KEYS`` (identity data would be encrypted with a key
  derived from SECRET_KEY); ``django_ekyc.W004`` in DEBUG. ``django_ekyc.E005``: a key is not a Fernet key.
- ``django_ekyc.E006``: ``settings.EKYC`` itself is invalid (not a dict, unknown keys).
- ``django_ekyc.W007``: outside DEBUG, the provider rate limit or the start/refresh throttles count in a
  per-process cache (local memory, dummy): each process, worker or host would have its own budget.
- ``django_ekyc.E008``: ``FRONTEND_OPTIONS`` names an option that is not a presentation option (a security
  parameter such as ``security_level`` must never be left to the browser), or one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from django_ekyc.exceptions import EkycConfigurationError

PLACEHOLDERS = ("", "changeme", "your-access-key-id", "youraccesskeyid", "demo-access-key-id", "xxx")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")  # noqa: S104 - compared, not bound


@register("django_ekyc")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django_ekyc.conf import ekyc_settings

    try:
        values = {name: getattr(ekyc_settings, name) for name in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "ENDPOINT")}
        keys = ekyc_settings.ENCRYPTION_KEYS
    except EkycConfigurationError as err:
        return [Error(str(err), id="django_ekyc.E006")]
    return [
        *_credentials(values["ACCESS_KEY_ID"], values["ACCESS_KEY_SECRET"]),
        *_endpoint(str(values["ENDPOINT"])),
        *_encryption(keys),
        *_shared_counters(ekyc_settings),
        *_frontend_options(ekyc_settings.FRONTEND_OPTIONS),
    ]


def _credentials(key_id: Any, secret: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    if str(key_id).strip().lower() in PLACEHOLDERS or str(secret).strip().lower() in (
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


def _endpoint(endpoint: str) -> list[CheckMessage]:
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


def _encryption(keys: Any) -> list[CheckMessage]:
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    if not keys:
        message = "EKYC ENCRYPTION_KEYS is empty: identity data is encrypted with a key derived from SECRET_KEY."
        hint = "Generate one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        if settings.DEBUG:
            return [Warning(message, hint=hint, id="django_ekyc.W004")]
        return [Error(message, hint=hint, id="django_ekyc.E004")]
    for position, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return [Error(f"EKYC ENCRYPTION_KEYS[{position}] is not a Fernet key.", id="django_ekyc.E005")]
    return []


PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def _per_process(alias: str) -> bool:
    backend = str(settings.CACHES.get(alias, {}).get("BACKEND", ""))
    return backend in PER_PROCESS_CACHES


def _shared_counters(ekyc_settings: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    counters = []
    if ekyc_settings.RATE_LIMIT and _per_process(str(ekyc_settings.RATE_LIMIT_CACHE)):
        counters.append(f"the provider rate limit (cache {ekyc_settings.RATE_LIMIT_CACHE!r})")
    if (ekyc_settings.START_THROTTLE_RATE or ekyc_settings.REFRESH_THROTTLE_RATE) and _per_process("default"):
        counters.append("the start and refresh throttles (cache 'default')")
    if not counters:
        return []
    return [
        Warning(
            f"EKYC: {' and '.join(counters)} count in a per-process cache: every process and host gets its own "
            "budget, so the limits do not hold across the site.",
            hint="Use a shared cache such as Redis: CACHES = {'default': env.cache('CACHE_URL')} with "
            "CACHE_URL=redis://127.0.0.1:6379/1.",
            id="django_ekyc.W007",
        )
    ]


def _frontend_options(names: Any) -> list[CheckMessage]:
    from django_ekyc.validation import OPTION_NAMES, PRESENTATION_OPTIONS

    names = [names] if isinstance(names, str) else list(names or [])
    unknown = sorted(str(name) for name in names if name not in OPTION_NAMES)
    security = sorted(str(name) for name in names if name in OPTION_NAMES and name not in PRESENTATION_OPTIONS)
    if not unknown and not security:
        return []
    problems = []
    if security:
        problems.append(f"security options that only the site may set: {', '.join(security)}")
    if unknown:
        problems.append(f"unknown options: {', '.join(unknown)}")
    return [
        Error(
            f"EKYC FRONTEND_OPTIONS names {'; '.join(problems)}.",
            hint=f"Allowed: {', '.join(sorted(PRESENTATION_OPTIONS))}. Set security parameters in INITIALIZE_DEFAULTS.",
            id="django_ekyc.E008",
        )
    ]
