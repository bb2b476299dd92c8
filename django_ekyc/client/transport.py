"""One signed request to ``cloudauth-intl`` and its answer: sign, send, parse, map errors, scrub the secret.

The transport owns the pooled ``requests.Session`` and the credentials (:mod:`~django_ekyc.client.credentials`: an
AccessKey, or a provider of temporary ones asked before each attempt); it knows nothing of operations or retries.
Every failure leaves it as a typed :class:`~django_ekyc.exceptions.EkycError` raised ``from`` the cause, with the
AccessKey secret and the security token scrubbed from any text the provider echoed back. Each request, whatever
came of it, is one INFO line with structured fields (:func:`report_call`) and one count in
:mod:`django_ekyc.metrics`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError
from urllib3.util import Timeout as Urllib3Timeout

from django_ekyc import __version__, metrics
from django_ekyc.client.credentials import Credential, CredentialsUnavailable, credentials_for
from django_ekyc.client.http import new_session, normalize_timeout, split_endpoint
from django_ekyc.exceptions import (
    EkycDeadlineExceeded,
    EkycError,
    EkycMalformedResponse,
    EkycThrottled,
    EkycTimeout,
    EkycTransportError,
    error_class_for,
)
from django_ekyc.signing import canonical_query_string, sign_request

logger = logging.getLogger("django_ekyc.client")

API_VERSION = "2022-08-09"
USER_AGENT = f"django-ekyc/{__version__} python-requests/{requests.__version__}"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_MESSAGE_LENGTH = 500

Timeout = float | tuple[float, float]


# The Code of a successful answer: "Success" for most operations; "200" for FaceCompare(V2) and DeepfakeDetectIntl
# (their SDK models: "200: Success. Other: error code").
SUCCESS_CODES = frozenset({"success", "200"})


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Transport:
    """Signs and sends one operation over a pooled session; parses the answer or raises a typed error."""

    def __init__(
        self,
        *,
        access_key_id: str = "",
        access_key_secret: str = "",
        endpoint: str,
        timeout: Timeout,
        security_token: str | None = None,
        credentials: Any = None,
        session: requests.Session | None = None,
        pool_maxsize: int = 32,
    ) -> None:
        """``credentials``, a provider (anything with ``get_credential()``), wins over the fixed AccessKey."""
        self.credentials = credentials_for(access_key_id, access_key_secret, security_token, credentials)
        self.base_url, self.host = split_endpoint(endpoint)
        self.timeout = normalize_timeout(timeout)
        self.session = session or new_session(pool_maxsize, self.base_url)

    @property
    def access_key_id(self) -> str:
        """The AccessKey ID requests are signed with (a provider's: the last one used, "" before the first)."""
        return self.credentials.access_key_id

    def close(self) -> None:
        self.session.close()

    def credential(self, action: str, params: Mapping[str, str] | None = None, *, attempt: int = 1) -> Credential:
        """What an attempt signs with, asked of the provider now: the client asks first, so that a slow refresh
        counts against the deadline and a failing one takes no rate-limit slot. A failure is logged and counted
        as the attempt's, an :class:`~django_ekyc.exceptions.EkycTransportError` with nothing sent."""
        started = time.monotonic()
        try:
            return self.credentials.current()
        except CredentialsUnavailable as err:
            error = self._transport_error(EkycTransportError, action, str(err), sent=False)
        report_call(action, attempt, time.monotonic() - started, params or {}, error)
        raise error from None

    def send(
        self,
        action: str,
        query: Mapping[str, str],
        form: Mapping[str, str] | None = None,
        *,
        within: float | None = None,
        attempt: int = 1,
        credential: Credential | None = None,
    ) -> dict[str, Any]:
        """One attempt: the signed POST, then the parsed answer, or a typed error.

        ``query`` travels in the URL and ``form`` (when not None, even empty) as an
        ``application/x-www-form-urlencoded`` body, exactly where the official SDK puts each parameter.
        ``within`` (seconds) bounds connect and read together, below the client's own timeouts: what remains of
        a request's deadline. A timeout it caused is :class:`~django_ekyc.exceptions.EkycDeadlineExceeded`.
        ``credential``: what to sign with (None: :meth:`credential` asked here). ``attempt`` (1 for the first) is
        only reported, in the call's log line.
        """
        params = {**query, **(form or {})}
        if credential is None:
            credential = self.credential(action, params, attempt=attempt)
        started = time.monotonic()
        try:
            body = self._exchange(action, query, form, within, credential)
        except EkycError as err:
            report_call(action, attempt, time.monotonic() - started, params, err)
            raise
        report_call(action, attempt, time.monotonic() - started, params, body)
        return body

    def _exchange(
        self,
        action: str,
        query: Mapping[str, str],
        form: Mapping[str, str] | None,
        within: float | None,
        credential: Credential,
    ) -> dict[str, Any]:
        query_params = {k: str(v) for k, v in query.items()}
        query_string = canonical_query_string(query_params)
        body = b"" if form is None else canonical_query_string({k: str(v) for k, v in form.items()}).encode("utf-8")
        headers = self._signed_headers(credential, action, query_params, body, with_form=form is not None)
        url = f"{self.base_url}/" + (f"?{query_string}" if query_string else "")
        try:
            response = self.session.post(
                url,
                data=body if form is not None else None,
                headers=headers,
                timeout=self._timeout_within(within),  # type: ignore[arg-type]  # requests takes urllib3's Timeout
            )
        # The exceptions of requests carry the URL, and the URL carries the parameters (tokens, MetaInfo): they
        # are not chained, so that no traceback shows them; their type is in the message.
        except requests.ConnectTimeout:
            cut = within is not None and within < self.timeout[0]
            raise self._timed_out(action, "connect timed out", sent=False, cut=cut) from None
        except requests.Timeout:
            cut = within is not None and within < self.timeout[1]
            raise self._timed_out(action, "no answer within the read timeout", sent=True, cut=cut) from None
        except requests.RequestException as err:
            reason = f"connection failed ({type(err).__name__})"
            error = self._transport_error(EkycTransportError, action, reason, sent=not _never_connected(err))
        else:
            return self._parse(action, response, credential)
        raise error from None

    def malformed(self, action: str, body: Mapping[str, Any], what: str) -> EkycMalformedResponse:
        return EkycMalformedResponse(
            f"The provider's answer has {what}.",
            action=action,
            status=200,
            code=str(body.get("Code") or "") or None,
            request_id=str(body.get("RequestId") or "") or None,
        )

    def _signed_headers(
        self, credential: Credential, action: str, query: Mapping[str, str], body: bytes, *, with_form: bool
    ) -> dict[str, str]:
        headers = {
            "host": self.host,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": utc_timestamp(),
            "x-acs-signature-nonce": uuid.uuid4().hex,
        }
        if with_form:
            headers["content-type"] = FORM_CONTENT_TYPE
        if credential.security_token is not None:
            # Temporary credentials, as the official SDK sends them: the key's ID and the STS token in two x-acs-*
            # headers, both signed (tea-openapi's ACS3 path; every x-acs-* header is signed).
            headers["x-acs-accesskey-id"] = credential.access_key_id
            headers["x-acs-security-token"] = credential.security_token.reveal()
        signed = sign_request(
            access_key_id=credential.access_key_id,
            access_key_secret=credential.secret.reveal(),
            method="POST",
            path="/",
            query=query,
            headers=headers,
            body=body,
        )
        return {**signed, "user-agent": USER_AGENT, "accept": "application/json"}

    def _parse(self, action: str, response: requests.Response, credential: Credential) -> dict[str, Any]:
        header_request_id = response.headers.get("x-acs-request-id")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            logger.warning("eKYC %s answered HTTP %s with a non-JSON body", action, response.status_code)
            cls = EkycMalformedResponse if response.status_code < 500 else error_class_for(None, response.status_code)
            raise cls(
                "The provider's answer is not a JSON object.",
                action=action,
                status=response.status_code,
                request_id=header_request_id,
            )
        code = body.get("Code") or body.get("code")
        if response.status_code == 200 and str(code).lower() in SUCCESS_CODES:
            return body
        raise self._provider_error(action, response, body, code, credential)

    def _provider_error(
        self, action: str, response: requests.Response, body: Mapping[str, Any], code: Any, credential: Credential
    ) -> EkycError:
        cls = error_class_for(str(code) if code else None, response.status_code)
        request_id = body.get("RequestId") or response.headers.get("x-acs-request-id")
        message = credential.scrub(str(body.get("Message") or body.get("message") or ""))[:MAX_MESSAGE_LENGTH]
        kwargs: dict[str, Any] = {
            "action": action,
            "status": response.status_code,
            "code": str(code) if code else None,
            "request_id": str(request_id) if request_id else None,
        }
        if issubclass(cls, EkycThrottled):
            kwargs["retry_after"] = _retry_after(response.headers.get("x-acs-retry-after"))
        return cls(message, **kwargs)

    def _timeout_within(self, within: float | None) -> tuple[float, float] | Urllib3Timeout:
        """The client's (connect, read) timeouts, or with ``within`` a total no attempt outlasts (the read
        timeout then also bounds each silence of a slow body, not its whole length)."""
        if within is None:
            return self.timeout
        connect, read = self.timeout
        return Urllib3Timeout(connect=min(connect, within), read=min(read, within), total=within)

    def _timed_out(self, action: str, reason: str, *, sent: bool, cut: bool) -> EkycError:
        if cut:
            return self._transport_error(EkycDeadlineExceeded, action, "the request's deadline ran out", sent=sent)
        return self._transport_error(EkycTimeout, action, reason, sent=sent)

    def _transport_error(self, cls: type[EkycTransportError], action: str, reason: str, *, sent: bool) -> EkycError:
        return cls(f"{reason} calling {self.host}", action=action, request_sent=sent)


def report_call(
    action: str, attempt: int, seconds: float, params: Mapping[str, str], outcome: Mapping[str, Any] | EkycError
) -> None:
    """A call's one log line and its count, with the same facts: INFO because each is a billed request whose
    RequestId the provider's support asks for, and the site's rate limit bounds how many there are."""
    if isinstance(outcome, EkycError):
        code, status, request_id, body = metrics.outcome_code(outcome), outcome.status, outcome.request_id, None
    else:
        code, status, request_id, body = metrics.SUCCESS, 200, str(outcome.get("RequestId") or ""), outcome
    metrics.observe_call(action, code, seconds)
    fields = {
        "operation": action,
        "code": code,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "request_id": request_id or "",
        "transaction_id": transaction_of(params, body),
        "attempt": attempt,
    }
    answer = f"no answer ({code})" if status is None else f"HTTP {status} {code} [RequestId {request_id or '-'}]"
    logger.info("eKYC %s -> %s in %.0f ms", action, answer, seconds * 1000, extra=fields)


def transaction_of(params: Mapping[str, str], body: Mapping[str, Any] | None = None) -> str:
    """The transaction a call is about, for its log lines: the provider's TransactionId (sent, or given by an
    Initialize), else the site's MerchantBizId, else "". Both are opaque ids, never identity data."""
    result = body.get("Result") if body is not None else None
    given = result.get("TransactionId") if isinstance(result, Mapping) else None
    return str(params.get("TransactionId") or given or params.get("MerchantBizId") or "")


def _never_connected(err: requests.RequestException) -> bool:
    """True when the connection could not even be opened, so nothing was sent."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, NewConnectionError):
            return True
        seen = getattr(seen, "reason", None) or (
            seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        )
    return False


def _retry_after(value: str | None) -> float | None:
    """``x-acs-retry-after`` in seconds. The header carries milliseconds: the official SDK, the client proven
    against the gateway, reads it so (an integer; anything else, or nothing positive, means unknown)."""
    try:
        milliseconds = int(value) if value is not None else None
    except ValueError:
        return None
    return milliseconds / 1000 if milliseconds is not None and milliseconds > 0 else None
