"""``ekyc_settings``: every django-ekyc setting, typed, with its documented default.

A site configures one dict, ``settings.EKYC``. Each setting is a typed descriptor on :class:`EkycSettings`, so
call sites read ``ekyc_settings.SYNC_INTERVAL`` as a ``float`` with no casts. Values are read lazily, checked
against the setting's type (a wrong type raises :class:`EkycConfigurationError`, and system check
``django_ekyc.E009`` reports it before anything runs), cached, and the cache is dropped on ``setting_changed``
so ``override_settings`` works (the pattern of DRF's ``api_settings``). Unknown keys are an error too: a typo
such as ``ACCESS_KEY_SECERT`` must not silently fall back to a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_ekyc.catalogue.regions import DEFAULT_REGION, endpoint_for
from django_ekyc.exceptions import EkycConfigurationError, unknown_settings
from django_ekyc.retention_policy import retention_setting
from django_ekyc.review_policy import ReviewPolicy, clean_review
from django_ekyc.setting import NUMBER, Setting, Timeout, clean_deadline, clean_number, clean_strings, clean_timeout
from django_ekyc.webhook_policy import webhooks_setting

__all__ = ["ekyc_settings"]

DEFAULT_ENDPOINT = endpoint_for(DEFAULT_REGION)
# The AccessKey a development-mode site and its simulator share when none is configured: good for nothing else.
SIMULATOR_ACCESS_KEY_ID = "simulator-access-key-id"
SIMULATOR_ACCESS_KEY_SECRET = "simulator-access-key-secret"  # noqa: S105 - accepted only by a local simulator

T = TypeVar("T")


class EkycSettings:
    """Typed attribute access to ``settings.EKYC`` merged over each setting's default."""

    # -- credentials and endpoint ----------------------------------------------------------------------------
    ACCESS_KEY_ID = Setting[str]("", str, "AccessKey ID of a RAM user with AliyunAntCloudAuthFullAccess.")
    ACCESS_KEY_SECRET = Setting[str]("", str, "Its secret: never logged, never in an exception or repr.")
    CREDENTIALS = Setting[Any](
        None,
        (str, object),
        "Temporary credentials instead of the AccessKey (ECS RAM role, STS AssumeRole, OIDC role on ACK): 'default' "
        "(alibabacloud-credentials' default chain), a credentials client (anything with get_credential()), its "
        "class (built with no arguments), or a callable or dotted path giving one. Asked before each request.",
        optional=True,
    )
    REGION = Setting[str](
        DEFAULT_REGION,
        str,
        "The provider's region: cn-hongkong, ap-southeast-1 (Singapore), ap-southeast-5 (Jakarta), "
        "ap-southeast-3 (Kuala Lumpur), eu-central-1 (Frankfurt) or us-west-1 (Silicon Valley; no product is "
        "documented to run in these two). Picks the endpoint; data stays in its region.",
    )
    VPC_ENDPOINT = Setting[bool](False, bool, "Use the region's internal endpoint (cloudauth-intl-vpc...).")
    ENDPOINT = Setting[str | None](None, str, "Base URL of the API; wins over REGION and SIMULATOR_URL.", optional=True)
    SIMULATOR_URL = Setting[str | None](
        None,
        str,
        "Development mode: the base URL of a local simulator (manage.py ekyc_simulator, http://127.0.0.1:8765). "
        "The API and the web SDK script then come from it, and no AccessKey is needed. Never outside DEBUG (E015).",
        optional=True,
    )
    WEB_SDK_URL = Setting[str](
        "https://hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js",
        str,
        "The provider's web SDK script ({% ekyc_web_sdk %} loads it; in development mode, the simulator's).",
    )
    ACCOUNTS = Setting[Mapping[str, Mapping[str, Any]]](
        {},
        Mapping,
        "Other provider accounts: name -> {ACCESS_KEY_ID and ACCESS_KEY_SECRET, or CREDENTIALS, and optionally "
        "REGION, ENDPOINT, RATE_LIMIT, RATE_LIMIT_GROUP}. The top-level keys are account ''.",
    )
    ACCOUNT_RESOLVER = Setting[str | Callable[..., Any] | None](
        None,
        (str, Callable),  # type: ignore[arg-type]
        "Dotted path to (or a callable) resolver(request, user) -> account name; None: the default account.",
        optional=True,
    )

    # -- the HTTP client -------------------------------------------------------------------------------------
    TIMEOUT = Setting[Timeout](
        (3.05, 10.0), (int, float, tuple, list), "Seconds: one number, or (connect, read).", clean=clean_timeout
    )
    MAX_RETRIES = Setting[int](2, int, "Extra attempts after a failure that is safe to retry (0: none).")
    RETRY_BACKOFF = Setting[float](
        0.25, NUMBER, "First backoff in seconds; doubles per attempt, with jitter.", clean=clean_number
    )
    RETRY_MAX_WAIT = Setting[float](
        5.0, NUMBER, "Longest wait between two attempts; a throttled call asking for longer fails.", clean=clean_number
    )
    POOL_MAXSIZE = Setting[int](32, int, "Connections kept per client; match the server's thread count.")
    REQUEST_DEADLINE = Setting[float | None](
        12.0,
        NUMBER,
        "Seconds of provider work a request may spend (start, refresh, the return page, the callback), retries "
        "and rate-limit waits included; keep it well under the server's worker timeout. None: no deadline. "
        "Background work (sync, tasks, commands) has none.",
        optional=True,
        clean=clean_deadline,
    )

    # -- what a verification asks for ------------------------------------------------------------------------
    PRODUCTS = Setting[tuple[str, ...]](
        ("eKYC",),
        (str, list, tuple),
        "The products a site offers (ProductCode values); the first is the default of a start that names none.",
        clean=clean_strings,
    )
    PRODUCT_INITIALIZE_DEFAULTS = Setting[Mapping[str, Mapping[str, str]]](
        {}, Mapping, "Per product, Initialize parameters sent over INITIALIZE_DEFAULTS: {'eKYC_PRO': {...}}."
    )
    INITIALIZE_DEFAULTS = Setting[Mapping[str, str]](
        {"SecurityLevel": "02"},
        Mapping,
        "Initialize parameters sent with every start, by their API names: the site's security decisions "
        "(SecurityLevel, IdSpoof, Model, IdThreshold, TemplateConfig...) and ProcedurePriority ('keep' when the "
        "site runs inside an app's WebView; browser starts only). Each is checked against the operation (E013). "
        "A frontend cannot override them.",
    )
    FRONTEND_OPTIONS = Setting[tuple[str, ...]](
        ("language_config", "style_config", "show_guide_page"),
        (str, list, tuple),
        "Start options a frontend may set: presentation options only (check E008).",
        clean=clean_strings,
    )
    MERCHANT_USER_ID_KEY = Setting[str | None](
        None, str, "Key of the keyed hash sent as MerchantUserId; None derives one from SECRET_KEY.", optional=True
    )

    # -- faces: re-verification and duplicate persons ---------------------------------------------------------
    FACE_LIBRARY = Setting[str | None](
        None,
        str,
        "The site's face library (a FaceGroupCode created in the provider's console, in the site's region). Set: "
        "each passed verification registers the user's face there, and a face already registered for another "
        "user flags the verification as a duplicate person.",
        optional=True,
    )
    REVERIFY_PRODUCT = Setting[str | None](
        None,
        str,
        "How a user re-verifies (start with purpose 'reverify'): 'FACE_IDU' (a liveness check searched against "
        "FACE_LIBRARY for the user's own face) or 'FACE_VERIFY' (compared with an encrypted copy of the face of "
        "the user's last passed verification, kept for this). None: re-verification is off.",
        optional=True,
    )

    # -- this site's URLs ------------------------------------------------------------------------------------
    PUBLIC_BASE_URL = Setting[str | None](
        None,
        str,
        "Base URL the provider and browsers reach this site at; None builds it from the request's checked host.",
        optional=True,
    )
    CALLBACK_ENABLED = Setting[bool](True, bool, "Ask the provider to call back (https only, as it requires).")
    RESULT_REDIRECT_URL = Setting[str | None](
        None,
        str,
        "Where the return view sends the user ('{id}': the public id); None renders result.html.",
        optional=True,
    )
    HOME_URL = Setting[str]("/", str, "Where the result page's 'Back to the site' link goes (a path, URL or URL name).")
    VERIFY_URL = Setting[str | None](
        None,
        str,
        "Where a view guarded by verification_required sends a user who has not verified (a path, URL or URL "
        "name; '?next=' is added). None: such a user gets 403.",
        optional=True,
    )
    REVERIFY_URL = Setting[str | None](
        None,
        str,
        "Where a view guarded by reverification_required sends a user who must re-verify (as VERIFY_URL).",
        optional=True,
    )

    # -- limits on what clients send -------------------------------------------------------------------------
    MAX_REQUEST_BYTES = Setting[int](64 * 1024, int, "Largest start request body (413 beyond).")
    REFRESH_MIN_INTERVAL = Setting[float](
        5, NUMBER, "Seconds between two user-prompted provider checks of a transaction (0: none).", clean=clean_number
    )

    # -- identity data ---------------------------------------------------------------------------------------
    ENCRYPTION_KEYS = Setting[tuple[str, ...]](
        (),
        (str, list, tuple),
        "Fernet keys for identity data: the first encrypts, all decrypt. Empty: derived from SECRET_KEY (dev only).",
        clean=clean_strings,
    )
    # -- checks from the site's own pictures ------------------------------------------------------------------
    PICTURE_CHECKS = Setting[tuple[str, ...]](
        (),
        (str, list, tuple),
        "The checks from pictures the site offers (FACE_COMPARE, FACE_LIVENESS_MIN, FACE_LIVENESS_MIN_PRO, "
        "FACE_DEEPFAKE, ID_OCR_MIN, ID_OCR_MAX, eKYC_MIN; check E019); none: every check is refused (each is billed).",
        clean=clean_strings,
    )
    PICTURE_CHECK_OPTIONS = Setting[Mapping[str, Mapping[str, str]]](
        {}, Mapping, "Per check, the site's security options over the catalogue's defaults; a request cannot set them."
    )
    PICTURE_CHECK_DAILY_LIMIT = Setting[int](
        10, int, "Checks from pictures one user may run in 24 hours, all checks together (0: none)."
    )
    REVERIFY_FROM_PICTURE = Setting[bool](
        False, bool, "Let a user re-verify from one picture the site captured (liveness, then REVERIFY_PRODUCT's face)."
    )
    DEEPFAKE_SCREENING = Setting[bool](
        False,
        bool,
        "Screen the face of every passed verification for deepfakes (DeepfakeDetectIntl); flag, never fail.",
    )
    CONSENT_TEXTS = Setting[Mapping[str, Mapping[str, str]]](
        {}, Mapping, "Per consent purpose ('pictures'), the site's own {'version', 'text'} over the app's."
    )
    REVIEW = Setting[ReviewPolicy](
        {},  # type: ignore[arg-type]  # cleaned into a ReviewPolicy
        (Mapping, ReviewPolicy),
        "What waits for staff (RULES, SUB_CODES), the reasons they give (REASONS), where two must approve "
        "(FOUR_EYES) and whether they may approve a failure (APPROVE_FAILED): see the review docs.",
        clean=clean_review,
    )
    STORE_IMAGES = Setting[bool](False, bool, "Request and keep (encrypted) the document and face images.")
    RETENTION = retention_setting()
    WEBHOOKS = webhooks_setting()

    # -- the provider's quota and background work ------------------------------------------------------------
    RATE_LIMIT = Setting[int | None](
        10,
        int,
        "Provider calls per second per API and account, site-wide, counted in the cache; capped at the region's "
        "documented quota (3 in Jakarta and Kuala Lumpur) unless an account sets its own. None: no limit.",
        optional=True,
    )
    RATE_LIMIT_BACKGROUND_SHARE = Setting[float](
        0.5,
        NUMBER,
        "The share of RATE_LIMIT background work (sync, deletions) may use while users are present; once they have "
        "been away 10 s, it uses all but one slot (0: none at all).",
        clean=clean_number,
    )
    RATE_LIMIT_BACKGROUND_MAX_WAIT = Setting[float](
        30.0, NUMBER, "Seconds a background call may wait for a slot before its pass gives up.", clean=clean_number
    )
    RATE_LIMIT_MAX_WAIT = Setting[float](
        1.5,
        NUMBER,
        "Seconds a call may wait for a slot (0: fail at once); at least 1 + RATE_LIMIT_MARGIN lets a call that finds "
        "the window full take the next slot that frees.",
        clean=clean_number,
    )
    RATE_LIMIT_MARGIN = Setting[float](
        0.2,
        NUMBER,
        "Seconds added to the limiter's one-second window: how much the delay between taking a slot and the call "
        "reaching the provider may vary with the limit still holding where the provider counts (the rate is then "
        "RATE_LIMIT per 1 + margin seconds). Raise it for hosts far from the provider.",
        clean=clean_number,
    )
    RATE_LIMIT_CACHE = Setting[str]("default", str, "The cache alias the limiter counts in (Redis in production).")
    SYNC_INTERVAL = Setting[float](
        420,
        NUMBER,
        "Seconds before sync first asks about a waiting transaction (a person needs minutes).",
        clean=clean_number,
    )
    SYNC_BACKOFF = Setting[float](
        3, NUMBER, "Each sync check that finds no result multiplies the wait before the next by it.", clean=clean_number
    )
    COMPLETION_WINDOW = Setting[float](
        30 * 60,
        NUMBER,
        "Seconds after Initialize within which the provider lets a user finish (its pages: 30 minutes): the one "
        "notion of expiry. Sync checks once more after it, then expires the transaction; one no pass could check "
        "is expired a day later.",
        clean=clean_number,
    )
    SYNC_MAX_INTERVAL = Setting[float](
        3600, NUMBER, "Longest wait between two sync checks of one transaction.", clean=clean_number
    )

    def __init__(self, defaults: Mapping[str, Any] | None = None) -> None:
        self._overrides = dict(defaults or {})
        self._cache: dict[str, Any] = {}
        self._user_settings: dict[str, Any] | None = None

    @classmethod
    def declared(cls) -> dict[str, Setting[Any]]:
        """Every setting, by name."""
        return {name: value for name, value in vars(cls).items() if isinstance(value, Setting)}

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._user_settings is None:
            self._user_settings = self._load_user_settings()
        return self._user_settings

    def _load_user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "EKYC", {}) or {}
        if not isinstance(value, dict):
            raise EkycConfigurationError("settings.EKYC must be a dict.")
        unknown = sorted(set(value) - set(self.declared()))
        if unknown:
            raise unknown_settings(unknown)
        return value

    def raw(self, setting: Setting[Any]) -> Any:
        """What the site set for ``setting`` (or its default), before the type check."""
        return self.user_settings.get(setting.name, self._overrides.get(setting.name, setting.default))

    def value_of(self, setting: Setting[T]) -> T:
        if setting.name not in self._cache:
            self._cache[setting.name] = setting.clean(self.raw(setting))
        return self._cache[setting.name]  # type: ignore[no-any-return]

    def problems(self) -> list[str]:
        """Every setting whose value has the wrong type (for the system checks).

        Raises :class:`EkycConfigurationError` when ``settings.EKYC`` itself is unusable (not a dict, unknown keys).
        """
        self._user_settings = self._load_user_settings()
        problems = []
        for setting in self.declared().values():
            try:
                setting.clean(self.raw(setting))
            except EkycConfigurationError as err:
                problems.append(str(err))
        return problems

    def reload(self) -> None:
        self._cache.clear()
        self._user_settings = None


DEFAULTS: dict[str, Any] = {name: setting.default for name, setting in EkycSettings.declared().items()}

ekyc_settings = EkycSettings()


@receiver(setting_changed)
def _reload_ekyc_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "EKYC":
        ekyc_settings.reload()
