"""``ekyc_settings``: every django-ekyc setting, with its documented default.

A site configures one dict, ``settings.EKYC``. Values are read lazily, cached,
and the cache is dropped on ``setting_changed`` so ``override_settings`` works
in tests (the pattern of DRF's ``api_settings``). Unknown keys are an error:
a typo such as ``ACCESS_KEY_SECERT`` must not silently fall back to a default.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_ekyc.doc_types import DEFAULT_DOC_TYPES
from django_ekyc.exceptions import EkycConfigurationError

DEFAULT_ENDPOINT = "https://cloudauth-intl.cn-hongkong.aliyuncs.com"

DEFAULTS: dict[str, Any] = {
    # The RAM user's AccessKey pair (needs AliyunAntCloudAuthFullAccess).
    "ACCESS_KEY_ID": "",
    "ACCESS_KEY_SECRET": "",
    # Base URL of the API; a simulator is "http://127.0.0.1:<port>".
    "ENDPOINT": DEFAULT_ENDPOINT,
    # Seconds: a number for both, or (connect, read). Every call uses it.
    "TIMEOUT": (3.05, 10.0),
    # Extra attempts after a failure that is safe to retry (0 disables retries).
    "MAX_RETRIES": 2,
    # First backoff in seconds; doubles per attempt, with jitter.
    "RETRY_BACKOFF": 0.25,
    # Longest single wait between attempts, x-acs-retry-after included; a
    # throttled call asking for longer fails at once instead.
    "RETRY_MAX_WAIT": 5.0,
    # Connections kept per client; match it to the server's thread count.
    "POOL_MAXSIZE": 32,
    "PRODUCT_CODE": "eKYC",
    # DocType code -> label; the seed's table by default.
    "DOC_TYPES": DEFAULT_DOC_TYPES,
    # Initialize parameters sent with every start unless a call overrides them.
    "INITIALIZE_DEFAULTS": {"SecurityLevel": "02"},
}


class EkycSettings:
    """Attribute access to ``settings.EKYC`` merged over :data:`DEFAULTS`."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = defaults or DEFAULTS
        self._cached: set[str] = set()
        self._user_settings: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._user_settings is None:
            self._user_settings = self._load_user_settings()
        return self._user_settings

    def _load_user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "EKYC", {}) or {}
        if not isinstance(value, dict):
            raise EkycConfigurationError("settings.EKYC must be a dict.")
        unknown = sorted(set(value) - set(self.defaults))
        if unknown:
            raise EkycConfigurationError(f"Unknown key(s) in settings.EKYC: {', '.join(unknown)}.")
        return value

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid django-ekyc setting: {name!r}")
        value = self.user_settings.get(name, self.defaults[name])
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        self._user_settings = None


ekyc_settings = EkycSettings(DEFAULTS)


@receiver(setting_changed)
def _reload_ekyc_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "EKYC":
        ekyc_settings.reload()
