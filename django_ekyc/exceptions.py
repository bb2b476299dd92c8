"""Every error django-ekyc raises, in one module.

Three families, kept apart on purpose:

- **Provider errors** form one tree under :class:`EkycError`, keyed by the provider's ``Code`` so that callers
  can catch by meaning (bad request, throttled, not completed yet, provider fault, transport) without string
  matching. Raised by the client.
- **Verification errors** under :class:`VerificationError` are what the flow (``django_ekyc.services``)
  reports to its callers (views, API, admin, commands): the transaction is unknown, a callback token does not
  match, or a provider call failed *and the transaction was updated accordingly*.
- **Setup and input errors**: :class:`EkycConfigurationError` derives from Django's ``ImproperlyConfigured``
  so that no ``except EkycError`` can swallow it; :class:`InvalidInput` (a start request's field) derives from
  ``ValueError``; :class:`UnreadableIdentityData` marks data encrypted under a key that is gone.

The DRF answer classes (``django_ekyc.api.errors``) are HTTP responses, not errors of the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django_ekyc.models import KycTransaction

__all__ = [
    "CallbackTokenMismatch",
    "EkycAuthError",
    "EkycBadRequest",
    "EkycConfigurationError",
    "EkycDeadlineExceeded",
    "EkycDeletionRefused",
    "EkycError",
    "EkycMalformedResponse",
    "EkycNotCompleted",
    "EkycPictureRejected",
    "EkycProviderError",
    "EkycRateLimitUnavailable",
    "EkycRateLimited",
    "EkycThrottled",
    "EkycTimeout",
    "EkycTransportError",
    "InvalidInput",
    "NothingToCompare",
    "ProviderCallFailed",
    "TransactionNotFound",
    "UnreadableIdentityData",
    "VerificationError",
]


# -- setup and input ---------------------------------------------------------------------------------------


class EkycConfigurationError(ImproperlyConfigured):
    """``settings.EKYC`` (or the arguments given to the client) cannot work."""


class InvalidInput(ValueError):
    """One field of a start request is unacceptable; ``code`` is stable, ``message`` is for people."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


class CheckBudgetExhausted(Exception):
    """The user has run as many checks from pictures as ``PICTURE_CHECK_DAILY_LIMIT`` allows in 24 hours; nothing
    was saved or sent (each check is billed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"At most {limit} checks from pictures in 24 hours.")
        self.limit = limit


class UnreadableIdentityData(Exception):
    """Stored identity data was encrypted with a key that is no longer configured."""


# -- the provider's answers ------------------------------------------------------------------------------


class EkycError(Exception):
    """A call to the provider did not succeed.

    Attributes are safe to log: they hold what the provider answered and never
    the AccessKey secret (the client scrubs it from messages before raising).
    """

    def __init__(
        self,
        message: str = "",
        *,
        action: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [f"{self.action or 'Request'} failed"]
        if self.code:
            parts.append(f": {self.code}")
        if self.status is not None:
            parts.append(f" (HTTP {self.status})")
        if self.message:
            parts.append(f": {self.message}")
        if self.request_id:
            parts.append(f" [RequestId {self.request_id}]")
        return "".join(parts)


class EkycBadRequest(EkycError):
    """The provider refused the parameters (``MissingParameter``, ``InvalidParameter``...)."""


class EkycPictureRejected(EkycBadRequest):
    """The provider refused a picture: unreadable or too small (``UnqualifiedPhoto``), no face in it
    (``NoFaceDetected``), too large (``ToolargeImage``), given twice (``DataDuplication``) or not downloadable
    from its URL (``DownloadTimeout``). It answers these with HTTP 401, which is not a credentials error here:
    the ``code`` says which; another picture may pass."""


class EkycAuthError(EkycError):
    """Credentials, signature or account permissions were refused.

    Retrying does not help; somebody has to fix the AccessKey, the clock or the
    RAM policy.
    """


class EkycThrottled(EkycError):
    """The account's rate limit was hit (``Throttling.Api``)."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class EkycRateLimited(EkycThrottled):
    """This site's own limit: no slot within the allowed wait. Nothing was sent."""


class EkycRateLimitUnavailable(EkycRateLimited):
    """The site's rate limiter could not be asked (its cache is unreachable), so nothing was sent: a call never
    goes out without a slot. A kind of :class:`EkycRateLimited`, so that it is not recorded as a provider call
    and background sync hands its rows to the next pass."""


class EkycDeletionRefused(EkycError):
    """``DeleteVerifyResult`` answered ``Success`` but ``DeleteResult=N``: the data is still there."""


class EkycNotCompleted(EkycError):
    """``ProcessNotCompleted``: the user has not finished the hosted flow yet."""


class EkycProviderError(EkycError):
    """The provider failed (``InternalError``, ``ServiceUnavailable``, any 5xx)."""


class EkycMalformedResponse(EkycProviderError):
    """The provider answered with something that is not the documented JSON."""


class EkycTransportError(EkycError):
    """No answer arrived: connection refused or dropped, TLS failure.

    ``request_sent`` is False only when the request certainly never left (the
    connection could not be opened), which makes any retry harmless.
    """

    def __init__(self, message: str = "", *, request_sent: bool = True, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.request_sent = request_sent


class EkycTimeout(EkycTransportError):
    """No answer arrived within the configured timeout."""


class EkycDeadlineExceeded(EkycTimeout):
    """The request's total time for provider work (``REQUEST_DEADLINE``) ran out: the attempt was cut short
    (``request_sent``) or not made at all. Never retried."""


ERROR_CLASSES: dict[str, type[EkycError]] = {
    "MissingParameter": EkycBadRequest,
    "InvalidParameter": EkycBadRequest,
    "TransactionIdInvalid": EkycBadRequest,
    "InvalidAction.NotFound": EkycBadRequest,
    "InvalidVersion": EkycBadRequest,
    "SignatureDoesNotMatch": EkycAuthError,
    "IncompleteSignature": EkycAuthError,
    "InvalidAccessKeyId.NotFound": EkycAuthError,
    "InvalidAccessKeyId.Inactive": EkycAuthError,
    "InvalidTimeStamp.Expired": EkycAuthError,
    "InvalidTimeStamp.Format": EkycAuthError,
    "SignatureNonceUsed": EkycAuthError,
    "Forbidden.RAMUserAccessDenied": EkycAuthError,
    "Forbidden.AccountAccessDenied": EkycAuthError,
    "Forbidden.ExceptionRepeatedInvoke": EkycThrottled,
    # The provider's HTTP 401 answers (the "HTTP status code returned by the server" page, 2026-09): pictures.
    "UnqualifiedPhoto": EkycPictureRejected,
    "NoFaceDetected": EkycPictureRejected,
    "ToolargeImage": EkycPictureRejected,
    "DataDuplication": EkycPictureRejected,
    "DownloadTimeout": EkycPictureRejected,
    "Throttling.Api": EkycThrottled,
    "Throttling.User": EkycThrottled,
    "Throttling": EkycThrottled,
    "ProcessNotCompleted": EkycNotCompleted,
    "InternalError": EkycProviderError,
    "ServiceUnavailable": EkycProviderError,
}


# STS adds MissingSecurityToken and InvalidSecurityToken.Expired / .Malformed / .MismatchWithAccessKey (the gateway
# answers them with 400): the credentials are wrong, not the request.
AUTH_CODE_PREFIXES = ("Forbidden", "InvalidAccessKeyId", "Signature", "MissingSecurityToken", "InvalidSecurityToken")


def error_class_for(code: str | None, status: int | None) -> type[EkycError]:
    """Pick the exception class for a provider answer: by ``Code`` first, then by status."""
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if code and code.startswith("Throttling"):
        return EkycThrottled
    if code and code.startswith(AUTH_CODE_PREFIXES):
        return EkycAuthError
    if status == 403:
        return EkycAuthError
    # The provider's own 401s are about pictures, never credentials (those come as 400, 403 or 404 with a code).
    if status is not None and 400 <= status < 500:
        return EkycBadRequest
    # 5xx, or a 200 whose Code is not Success: the provider did not do its part.
    return EkycProviderError


# -- what the verification flow reports ------------------------------------------------------------------


class VerificationError(Exception):
    """Base of the errors the verification flow reports to its callers (views, API, admin, commands)."""


class ProviderCallFailed(VerificationError):
    """A provider call failed; the transaction, already updated and with the call in its history, and the
    provider error are attached."""

    def __init__(self, kyc_transaction: KycTransaction, error: EkycError) -> None:
        super().__init__(str(error))
        self.transaction = kyc_transaction
        self.error = error


class TransactionNotFound(VerificationError):
    """No transaction matches the token or id given."""


class CallbackTokenMismatch(VerificationError):
    """A callback's token does not match the transaction's."""


class NothingToCompare(VerificationError):
    """A re-verification was asked for by a user who has no passed verification to compare with."""

    code = "no_verification_to_compare"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Settings that went before a release, and what to do instead: "renamed: <where the value goes now>" or
# "removed: <why nothing replaces it>". Entries stay (a line each): a site that still sets an old key gets an error
# that says what to set, never a silent default (docs/upgrading.md states the policy; tests keep the targets real).
RETIRED_SETTINGS: dict[str, str] = {
    "RETENTION_DAYS": "renamed: RETENTION['identity']['DAYS']",
    "PRODUCT_CODE": "renamed: PRODUCTS (its first product is the default of a start that names none)",
    "PROCEDURE_PRIORITY": "renamed: INITIALIZE_DEFAULTS with 'ProcedurePriority': <your old value> added, keeping "
    "'SecurityLevel': '02' (a site's INITIALIZE_DEFAULTS replaces the default, it is not merged; sent with browser "
    "starts only)",
    "START_THROTTLE_RATE": "renamed: REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['ekyc_start']",
    "REFRESH_THROTTLE_RATE": "renamed: REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['ekyc_refresh']",
    "EXPIRE_AFTER": "renamed: COMPLETION_WINDOW (expiry has one clock, the provider's window)",
    "DOC_TYPES": "removed: eKYC's documents are the catalogue's (django_ekyc.catalogue.documents.DEFAULT_DOC_TYPES)",
    "META_INFO_MAX_LENGTH": "removed: MetaInfo is limited to 10,000 characters (django_ekyc.catalogue.annotations)",
    "JSON_OPTION_MAX_LENGTH": "removed: JSON options are limited to 20,000 characters "
    "(django_ekyc.catalogue.annotations)",
    "PROVIDER_DELETE_TYPES": "removed: a provider deletion always sends both DeleteType values, Img then Text",
}


def unknown_settings(
    names: list[str], *, where: str = "settings.EKYC", spelt: str = "EKYC['{}']"
) -> EkycConfigurationError:
    """The error for keys of ``settings.EKYC`` that no setting has: a typo, or a setting that went (then the error
    says what to set instead, or why nothing is needed). ``where`` and ``spelt`` name the keys as the site wrote
    them (``ekyc_from_env`` passes its own), so every path says the same words."""
    unknown = [name for name in names if name not in RETIRED_SETTINGS]
    parts = [f"Unknown key(s) in {where}: {', '.join(unknown)}."] if unknown else []
    parts += [retired_setting(name, spelt.format(name)) for name in names if name in RETIRED_SETTINGS]
    return EkycConfigurationError(" ".join(parts))


def retired_setting(name: str, spelt: str) -> str:
    """What to do about ``name``, an entry of :data:`RETIRED_SETTINGS`, written as the site wrote it (``spelt``:
    ``EKYC['PRODUCT_CODE']``, ``EKYC_PRODUCT_CODE``...)."""
    change, _, what = RETIRED_SETTINGS[name].partition(": ")
    if change == "renamed":
        return f"{spelt} was renamed: set {what} instead."
    return f"{spelt} was removed ({what}): delete it."
