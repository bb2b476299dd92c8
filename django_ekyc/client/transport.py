"""One signed request to ``cloudauth-intl`` and its answer: sign, send, parse, map errors, scrub the secret.

The transport owns the pooled ``requests.Session`` and the credentials; it knows nothing of operations or
retries. Every failure leaves it as a typed :class:`~django_ekyc.exceptions.EkycError` raised ``from`` the
cause, with the AccessKey secret scrubbed from any text the provider echoed back. Each request, whatever came of
it, is one INFO line with structured fields (:func:`report_call`) and one count in :mod:`django_ekyc.metrics`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.exceptions import NewConnectionError
from urllib3.util import Timeout as Urllib3Timeout

from django_ekyc import __version__, metrics
from django_ekyc.exceptions import (
    EkycConfigurationError,
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


class _Secret:
    """Holds the AccessKey secret so that no ``repr``, log or traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'********'"

    __str__ = __repr__


class _NoCookies(DefaultCookiePolicy):
    """The API sets no cookies we need; refusing them keeps the shared session stateless."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def normalize_timeout(value: Any) -> tuple[float, float]:
    """Accept a number or a ``(connect, read)`` pair, as ``requests`` does."""
    pair = (value, value) if isinstance(value, int | float) else tuple(value or ())
    if len(pair) != 2 or not all(isinstance(v, int | float) and v > 0 for v in pair):
        raise EkycConfigurationError("TIMEOUT must be a positive number or a (connect, read) pair.")
    return float(pair[0]), float(pair[1])


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """Return ``(base_url, host)``; the host is exactly what we sign and send."""
    if "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EkycConfigurationError(f"ENDPOINT must be an http(s) URL, not {endpoint!r}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EkycConfigurationError("ENDPOINT must be a base URL without a path or query.")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if parts.port in (None, default_port) else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # IPv6 literal
        host = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port not in (None, default_port) else "")
    return f"{parts.scheme}://{host}", host


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_session(pool_maxsize: int, base_url: str) -> requests.Session:
    """A pooled, cookie-less session whose environment (proxies, CA bundle) is read once, here.

    ``requests`` otherwise re-reads the environment on every request (``HTTPS_PROXY``, ``NO_PROXY``, ``.netrc``,
    ``REQUESTS_CA_BUNDLE``): a measurable cost on every start. The proxies for the provider's URL and the CA
    bundle are resolved when the client is built, so corporate egress proxies keep working; the provider's
    requests carry their own signature, so ``.netrc`` credentials never applied to them.
    """
    session = requests.Session()
    # Retries are ours (signed anew each time); urllib3 must not replay a request with a used nonce.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NoCookies())
    session.proxies.update(get_environ_proxies(base_url))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    return session


class Transport:
    """Signs and sends one operation over a pooled session; parses the answer or raises a typed error."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str,
        timeout: Timeout,
        security_token: str | None = None,
        session: requests.Session | None = None,
        pool_maxsize: int = 32,
    ) -> None:
        if not access_key_id or not access_key_secret:
            raise EkycConfigurationError("An AccessKey ID and secret are required.")
        self.access_key_id = access_key_id
        self._secret = _Secret(access_key_secret)
        self._security_token = _Secret(security_token) if security_token else None
        self.base_url, self.host = split_endpoint(endpoint)
        self.timeout = normalize_timeout(timeout)
        self.session = session or new_session(pool_maxsize, self.base_url)

    def close(self) -> None:
        self.session.close()

    def send(
        self,
        action: str,
        query: Mapping[str, str],
        form: Mapping[str, str] | None = None,
        *,
        within: float | None = None,
        attempt: int = 1,
    ) -> dict[str, Any]:
        """One attempt: the signed POST, then the parsed answer, or a typed error.

        ``query`` travels in the URL and ``form`` (when not None, even empty) as an
        ``application/x-www-form-urlencoded`` body, exactly where the official SDK puts each parameter.
        ``within`` (seconds) bounds connect and read together, below the client's own timeouts: what remains of
        a request's deadline. A timeout it caused is :class:`~django_ekyc.exceptions.EkycDeadlineExceeded`.
        ``attempt`` (1 for the first) is only reported, in the call's log line.
        """
        started, params = time.monotonic(), {**query, **(form or {})}
        try:
            body = self._exchange(action, query, form, within)
        except EkycError as err:
            report_call(action, attempt, time.monotonic() - started, params, err)
            raise
        report_call(action, attempt, time.monotonic() - started, params, body)
        return body

    def _exchange(
        self, action: str, query: Mapping[str, str], form: Mapping[str, str] | None, within: float | None
    ) -> dict[str, Any]:
        query_params = {k: str(v) for k, v in query.items()}
        query_string = canonical_query_string(query_params)
        body = b"" if form is None else canonical_query_string({k: str(v) for k, v in form.items()}).encode("utf-8")
        headers = self._signed_headers(action, query_params, body, with_form=form is not None)
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
            return self._parse(action, response)
        raise error from None

    def malformed(self, action: str, body: Mapping[str, Any], what: str) -> EkycMalformedResponse:
        return EkycMalformedResponse(
            f"The provider's answer has {what}.",
            action=action,
            status=200,
            code=str(body.get("Code") or "") or None,
            request_id=str(body.get("RequestId") or "") or None,
        )

    def _signed_headers(self, action: str, query: Mapping[str, str], body: bytes, *, with_form: bool) -> dict[str, str]:
        headers = {
            "host": self.host,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": utc_timestamp(),
            "x-acs-signature-nonce": uuid.uuid4().hex,
        }
        if with_form:
            headers["content-type"] = FORM_CONTENT_TYPE
        if self._security_token:
            headers["x-acs-security-token"] = self._security_token.reveal()
        signed = sign_request(
            access_key_id=self.access_key_id,
            access_key_secret=self._secret.reveal(),
            method="POST",
            path="/",
            query=query,
            headers=headers,
            body=body,
        )
        return {**signed, "user-agent": USER_AGENT, "accept": "application/json"}

    def _parse(self, action: str, response: requests.Response) -> dict[str, Any]:
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
        raise self._provider_error(action, response, body, code, body.get("RequestId") or header_request_id)

    def _provider_error(
        self, action: str, response: requests.Response, body: Mapping[str, Any], code: Any, request_id: Any
    ) -> EkycError:
        cls = error_class_for(str(code) if code else None, response.status_code)
        message = self._scrub(str(body.get("Message") or body.get("message") or ""))
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

    def _scrub(self, text: str) -> str:
        """Provider messages are copied into exceptions: never let the secret ride along."""
        secret = self._secret.reveal()
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
        return text[:MAX_MESSAGE_LENGTH]


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
