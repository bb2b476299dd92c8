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
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_ekyc.doc_types import DEFAULT_DOC_TYPES
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.products import DEFAULT_REGION, endpoint_for

__all__ = [
    "DEFAULTS",
    "DEFAULT_ENDPOINT",
    "SIMULATOR_ACCESS_KEY_ID",
    "SIMULATOR_ACCESS_KEY_SECRET",
    "EkycSettings",
    "Setting",
    "ekyc_settings",
]

DEFAULT_ENDPOINT = endpoint_for(DEFAULT_REGION)
# The AccessKey a development-mode site and its simulator share when none is configured: good for nothing else.
SIMULATOR_ACCESS_KEY_ID = "simulator-access-key-id"
SIMULATOR_ACCESS_KEY_SECRET = "simulator-access-key-secret"  # noqa: S105 - accepted only by a local simulator

T = TypeVar("T")
Timeout = float | tuple[float, float]
NUMBER = (int, float)


class Setting(Generic[T]):
    """One setting: its default, the Python types it accepts, and what it is for (``doc``)."""

    def __init__(
        self,
        default: T,
        accepts: type | tuple[type, ...],
        doc: str,
        *,
        optional: bool = False,
        clean: Callable[[Any], T] | None = None,
    ) -> None:
        self.default = default
        self.accepts = accepts if isinstance(accepts, tuple) else (accepts,)
        self.doc = doc
        self.optional = optional
        self._clean = clean
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: EkycSettings, owner: type) -> T: ...

    def __get__(self, instance: EkycSettings | None, owner: type) -> Setting[T] | T:
        if instance is None:
            return self
        return instance.value_of(self)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` cannot be this setting, or None."""
        if value is None and self.optional:
            return None
        numeric = any(kind in NUMBER for kind in self.accepts)
        if isinstance(value, bool) and bool not in self.accepts and numeric:
            return f"EKYC['{self.name}'] must be {self.describe()}, not a bool."
        if not isinstance(value, self.accepts):
            return f"EKYC['{self.name}'] must be {self.describe()}, not {type(value).__name__}."
        return None

    def describe(self) -> str:
        names = " or ".join(kind.__name__ for kind in self.accepts)
        return f"{names} or None" if self.optional else names

    def clean(self, value: Any) -> T:
        problem = self.problem(value)
        if problem:
            raise EkycConfigurationError(problem)
        if self._clean is not None and value is not None:
            return self._clean(value)
        return value  # type: ignore[no-any-return]


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(item) for item in value)


def _number(value: Any) -> float:
    return float(value)


def _deadline(value: Any) -> float:
    if value <= 0:
        raise EkycConfigurationError("EKYC['REQUEST_DEADLINE'] must be a positive number of seconds, or None.")
    return float(value)


def _timeout(value: Any) -> Timeout:
    if isinstance(value, int | float):
        return float(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
        raise EkycConfigurationError("EKYC['TIMEOUT'] must be a number or a (connect, read) pair of numbers.")
    return float(pair[0]), float(pair[1])


class EkycSettings:
    """Typed attribute access to ``settings.EKYC`` merged over each setting's default."""

    # -- credentials and endpoint ----------------------------------------------------------------------------
    ACCESS_KEY_ID = Setting[str]("", str, "AccessKey ID of a RAM user with AliyunAntCloudAuthFullAccess.")
    ACCESS_KEY_SECRET = Setting[str]("", str, "Its secret: never logged, never in an exception or repr.")
    REGION = Setting[str](
        DEFAULT_REGION,
        str,
        "The provider's region: cn-hongkong, ap-southeast-1 (Singapore), ap-southeast-5 (Jakarta) or "
        "ap-southeast-3 (Kuala Lumpur). Picks the endpoint; data stays in its region.",
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
        "Other provider accounts: name -> {ACCESS_KEY_ID, ACCESS_KEY_SECRET, and optionally ENDPOINT, "
        "PRODUCT_CODE, RATE_LIMIT_GROUP}. The top-level keys are account ''.",
    )
    ACCOUNT_RESOLVER = Setting[str | Callable[..., Any] | None](
        None,
        (str, Callable),  # type: ignore[arg-type]
        "Dotted path to (or a callable) resolver(request, user) -> account name; None: the default account.",
        optional=True,
    )

    # -- the HTTP client -------------------------------------------------------------------------------------
    TIMEOUT = Setting[Timeout](
        (3.05, 10.0), (int, float, tuple, list), "Seconds: one number, or (connect, read).", clean=_timeout
    )
    MAX_RETRIES = Setting[int](2, int, "Extra attempts after a failure that is safe to retry (0: none).")
    RETRY_BACKOFF = Setting[float](
        0.25, NUMBER, "First backoff in seconds; doubles per attempt, with jitter.", clean=_number
    )
    RETRY_MAX_WAIT = Setting[float](
        5.0, NUMBER, "Longest single wait between attempts; a throttled call asking for longer fails.", clean=_number
    )
    POOL_MAXSIZE = Setting[int](32, int, "Connections kept per client; match the server's thread count.")
    REQUEST_DEADLINE = Setting[float | None](
        12.0,
        NUMBER,
        "Seconds of provider work a request may spend (start, refresh, the return page, the callback), retries "
        "and rate-limit waits included; keep it well under the server's worker timeout. None: no deadline. "
        "Background work (sync, tasks, commands) has none.",
        optional=True,
        clean=_deadline,
    )

    # -- what a verification asks for ------------------------------------------------------------------------
    PRODUCT_CODE = Setting[str]("eKYC", str, "The default product (ProductCode) of a start that names none.")
    PRODUCTS = Setting[tuple[str, ...] | None](
        None,
        (str, list, tuple),
        "The products a site offers (ProductCode values); None: PRODUCT_CODE only.",
        optional=True,
        clean=_strings,
    )
    DOC_TYPES = Setting[Mapping[str, str]](DEFAULT_DOC_TYPES, Mapping, "eKYC's document types: code -> label.")
    PRODUCT_INITIALIZE_DEFAULTS = Setting[Mapping[str, Mapping[str, str]]](
        {}, Mapping, "Per product, Initialize parameters sent over INITIALIZE_DEFAULTS: {'eKYC_PRO': {...}}."
    )
    PROCEDURE_PRIORITY = Setting[str | None](
        None,
        str,
        "ProcedurePriority for browser starts: 'keep' when the site runs inside an app's WebView (the provider "
        "then ends the flow with an error instead of offering to copy the URL); None sends nothing ('url').",
        optional=True,
    )
    INITIALIZE_DEFAULTS = Setting[Mapping[str, str]](
        {"SecurityLevel": "02"},
        Mapping,
        "Initialize parameters sent with every start: the site's security decisions (SecurityLevel, IdSpoof, "
        "Model, IdThreshold...). A frontend cannot override them.",
    )
    FRONTEND_OPTIONS = Setting[tuple[str, ...]](
        ("language_config", "style_config", "show_guide_page"),
        (str, list, tuple),
        "Start options a frontend may set: presentation options only (check E008).",
        clean=_strings,
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
    META_INFO_MAX_LENGTH = Setting[int](10_000, int, "Longest MetaInfo accepted, in characters.")
    JSON_OPTION_MAX_LENGTH = Setting[int](20_000, int, "Longest LanguageConfig / StyleConfig, in characters.")
    START_THROTTLE_RATE = Setting[str | None](
        "10/hour", str, "DRF rate of starts per user (scope ekyc_start).", optional=True
    )
    REFRESH_THROTTLE_RATE = Setting[str | None](
        "30/minute", str, "DRF rate of refreshes per user (scope ekyc_refresh).", optional=True
    )
    REFRESH_MIN_INTERVAL = Setting[float](
        5, NUMBER, "Seconds between two user-prompted provider checks of one transaction (0: no gate).", clean=_number
    )

    # -- identity data ---------------------------------------------------------------------------------------
    ENCRYPTION_KEYS = Setting[tuple[str, ...]](
        (),
        (str, list, tuple),
        "Fernet keys for identity data: the first encrypts, all decrypt. Empty: derived from SECRET_KEY (dev only).",
        clean=_strings,
    )
    STORE_IMAGES = Setting[bool](False, bool, "Request and keep (encrypted) the document and face images.")
    RETENTION_DAYS = Setting[int](90, int, "Days after completion when ekyc_purge_identity_data strips identity data.")
    PROVIDER_DELETE_TYPES = Setting[tuple[str, ...]](
        ("Img", "Text"), (str, list, tuple), "DeleteVerifyResult's DeleteType values, one call each.", clean=_strings
    )

    # -- the provider's quota and background work ------------------------------------------------------------
    EXPIRE_AFTER = Setting[float](
        24 * 60 * 60, NUMBER, "Seconds after which a waiting transaction expires.", clean=_number
    )
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
        "The share of RATE_LIMIT background work (sync, deletions) may use, when users leave it.",
        clean=_number,
    )
    RATE_LIMIT_BACKGROUND_MAX_WAIT = Setting[float](
        30.0, NUMBER, "Seconds a background call may wait for a slot before its pass gives up.", clean=_number
    )
    RATE_LIMIT_MAX_WAIT = Setting[float](
        1.5,
        NUMBER,
        "Seconds a call may wait for a slot (0: fail at once); at least 1 + RATE_LIMIT_MARGIN lets a call that finds "
        "the window full take the next slot that frees.",
        clean=_number,
    )
    RATE_LIMIT_MARGIN = Setting[float](
        0.2,
        NUMBER,
        "Seconds added to the limiter's one-second window: how much the delay between taking a slot and the call "
        "reaching the provider may vary with the limit still holding where the provider counts (the rate is then "
        "RATE_LIMIT per 1 + margin seconds). Raise it for hosts far from the provider.",
        clean=_number,
    )
    RATE_LIMIT_CACHE = Setting[str]("default", str, "The cache alias the limiter counts in (Redis in production).")
    SYNC_INTERVAL = Setting[float](
        420,
        NUMBER,
        "Seconds before sync first asks about a waiting transaction (a person needs minutes).",
        clean=_number,
    )
    SYNC_BACKOFF = Setting[float](
        3, NUMBER, "Each sync check that finds no result multiplies the wait before the next by this.", clean=_number
    )
    COMPLETION_WINDOW = Setting[float](
        30 * 60,
        NUMBER,
        "Seconds after Initialize within which the provider lets a user finish (its pages: 30 minutes). Sync "
        "checks once more after it, then expires the transaction.",
        clean=_number,
    )
    SYNC_MAX_INTERVAL = Setting[float](
        3600, NUMBER, "Longest wait between two sync checks of one transaction.", clean=_number
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
            raise EkycConfigurationError(f"Unknown key(s) in settings.EKYC: {', '.join(unknown)}.")
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
