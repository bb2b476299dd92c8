"""Errors raised by django-ekyc.

Provider errors form one tree under :class:`EkycError`, keyed by the provider's
``Code`` so that callers can catch by meaning (bad request, throttled, not
completed yet, provider fault, transport) without string matching. A setup
mistake is not a provider error: :class:`EkycConfigurationError` derives from
Django's ``ImproperlyConfigured`` so no ``except EkycError`` can swallow it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class EkycConfigurationError(ImproperlyConfigured):
    """``settings.EKYC`` (or the arguments given to the client) cannot work."""


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
    "Throttling.Api": EkycThrottled,
    "Throttling.User": EkycThrottled,
    "Throttling": EkycThrottled,
    "ProcessNotCompleted": EkycNotCompleted,
    "InternalError": EkycProviderError,
    "ServiceUnavailable": EkycProviderError,
}


def error_class_for(code: str | None, status: int | None) -> type[EkycError]:
    """Pick the exception class for a provider answer: by ``Code`` first, then by status."""
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if code and code.startswith("Throttling"):
        return EkycThrottled
    if code and code.startswith(("Forbidden", "InvalidAccessKeyId", "Signature")):
        return EkycAuthError
    if status in (401, 403):
        return EkycAuthError
    if status is not None and 400 <= status < 500:
        return EkycBadRequest
    # 5xx, or a 200 whose Code is not Success: the provider did not do its part.
    return EkycProviderError
