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
    # Initialize parameters sent with every start: the site's security decisions (SecurityLevel, IdSpoof,
    # Model, IdThreshold...). A frontend cannot override them.
    "INITIALIZE_DEFAULTS": {"SecurityLevel": "02"},
    # The start options a frontend may set ("options" in the API); presentation options only
    # (language_config, style_config, show_guide_page, show_ocr_result). Anything else is a 400.
    "FRONTEND_OPTIONS": ("language_config", "style_config", "show_guide_page"),
    # Key for the keyed hash sent as MerchantUserId; None derives one from SECRET_KEY.
    "MERCHANT_USER_ID_KEY": None,
    # Base URL the provider and browsers reach this site at ("https://shop.example");
    # None builds ReturnUrl and CallbackUrl from the request's (ALLOWED_HOSTS-checked) host.
    "PUBLIC_BASE_URL": None,
    # Ask the provider to call back when a verification ends (https only, as the provider requires).
    "CALLBACK_ENABLED": True,
    # Where the ReturnUrl view sends the user afterwards ("{id}" is the transaction's public id);
    # None renders django_ekyc/result.html. Only URLs on this site or ALLOWED_HOSTS are followed.
    "RESULT_REDIRECT_URL": None,
    # Largest start request body accepted, in bytes (answered 413 beyond).
    "MAX_REQUEST_BYTES": 64 * 1024,
    # Longest MetaInfo accepted from a browser, in characters.
    "META_INFO_MAX_LENGTH": 10_000,
    # Longest LanguageConfig / StyleConfig accepted from a client, in characters.
    "JSON_OPTION_MAX_LENGTH": 20_000,
    # DRF throttle rate for starting verifications, per user ("ekyc_start" scope).
    "START_THROTTLE_RATE": "10/hour",
    # DRF throttle rate for asking the provider about one's own transaction, per user ("ekyc_refresh" scope).
    "REFRESH_THROTTLE_RATE": "30/minute",
    # Seconds between two provider checks of one transaction prompted by its user (the refresh endpoint, the
    # return page); in between, the stored state is the answer. 0 disables the gate.
    "REFRESH_MIN_INTERVAL": 5,
    # A transaction still waiting after this many seconds is expired.
    "EXPIRE_AFTER": 24 * 60 * 60,
    # Fernet keys (urlsafe base64, 32 bytes) for the stored identity data: the first encrypts,
    # all decrypt, so a new key goes first and old ones stay until `ekyc_reencrypt` has run.
    # Empty: a key derived from SECRET_KEY, for development only (check django_ekyc.E004).
    "ENCRYPTION_KEYS": [],
    # Keep document and face images (encrypted) from CheckResult. Off: they are never requested.
    "STORE_IMAGES": False,
    # What `ekyc_purge_identity_data --delete-at-provider` asks the provider to delete (DeleteVerifyResult's
    # DeleteType, one call each): "Img" (document and face images) and "Text" (everything else).
    "PROVIDER_DELETE_TYPES": ("Img", "Text"),
    # Days after completion when `ekyc_purge_identity_data` strips identity data.
    "RETENTION_DAYS": 90,
    # Site-wide limit on provider calls per second, per API and account, shared by every process
    # through Django's cache (use Redis in production). None disables it. The provider allows 10.
    "RATE_LIMIT": 8,
    # Seconds a call may wait for a slot; 0 fails at once with EkycRateLimited.
    "RATE_LIMIT_MAX_WAIT": 1.0,
    # The cache alias the limiter counts in.
    "RATE_LIMIT_CACHE": "default",
    # Background sync: first re-check of a waiting transaction after this many seconds,
    # doubling per attempt up to SYNC_MAX_INTERVAL.
    "SYNC_INTERVAL": 60,
    "SYNC_MAX_INTERVAL": 3600,
    # Other Alibaba accounts (brands, tenants): name -> {"ACCESS_KEY_ID", "ACCESS_KEY_SECRET",
    # optionally "ENDPOINT", "PRODUCT_CODE", "RATE_LIMIT_GROUP"}. The top-level keys are account "".
    "ACCOUNTS": {},
    # Dotted path to a callable (request, user) -> account name, or None for the default account.
    "ACCOUNT_RESOLVER": None,
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
