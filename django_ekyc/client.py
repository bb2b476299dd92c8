"""``EkycClient``: signed calls to ``cloudauth-intl`` (2022-08-09) over ``requests``.

One client owns one pooled ``requests.Session`` and is safe to share between
threads: build it once per process (:func:`get_client`) rather than per call,
so a threaded server keeps one warm connection per thread instead of paying a
TLS handshake for every verification.

Parameters travel as a form body, not in the query string: ``MetaInfo`` and
the JSON configs can be long, and the callback token and return URL have no
business in proxy access logs or in the URL that ``requests`` puts into its
exception messages. The gateway reads RPC parameters from either place and the
body is covered by the signature through ``x-acs-content-sha256``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.signals import setting_changed
from django.dispatch import receiver
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from django_ekyc import __version__
from django_ekyc.conf import DEFAULT_ENDPOINT, ekyc_settings
from django_ekyc.exceptions import (
    EkycConfigurationError,
    EkycError,
    EkycMalformedResponse,
    EkycThrottled,
    EkycTimeout,
    EkycTransportError,
    error_class_for,
)
from django_ekyc.results import DeletionResult, InitializeResult, VerificationResult
from django_ekyc.signing import canonical_query_string, sign_request

logger = logging.getLogger("django_ekyc.client")

API_VERSION = "2022-08-09"
USER_AGENT = f"django-ekyc/{__version__} python-requests/{requests.__version__}"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_MESSAGE_LENGTH = 500

Timeout = float | tuple[float, float]
JsonConfig = str | Mapping[str, Any] | None


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


def json_config(value: JsonConfig) -> str | None:
    """``LanguageConfig`` and ``StyleConfig`` are JSON strings; accept a dict too."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EkycClient:
    """A signed client for the ``Initialize`` and ``CheckResult`` operations."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: Timeout = (3.05, 10.0),
        max_retries: int = 2,
        retry_backoff: float = 0.25,
        retry_max_wait: float = 5.0,
        pool_maxsize: int = 32,
        product_code: str = "eKYC",
        initialize_defaults: Mapping[str, str] | None = None,
        security_token: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limiter: Callable[[str], None] | None = None,
        account: str = "",
    ) -> None:
        if not access_key_id or not access_key_secret:
            raise EkycConfigurationError("An AccessKey ID and secret are required.")
        if max_retries < 0 or retry_backoff < 0 or retry_max_wait < 0:
            raise EkycConfigurationError("Retry settings must not be negative.")
        self.access_key_id = access_key_id
        self._secret = _Secret(access_key_secret)
        self._security_token = _Secret(security_token) if security_token else None
        self.base_url, self.host = split_endpoint(endpoint)
        self.timeout = normalize_timeout(timeout)
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_max_wait = retry_max_wait
        self.product_code = product_code
        self.initialize_defaults = dict(initialize_defaults or {})
        self._sleep = sleep
        self.rate_limiter = rate_limiter
        self.account = account
        self.session = session or self._new_session(pool_maxsize)

    @classmethod
    def from_settings(cls, account: str = "", **overrides: Any) -> EkycClient:
        """Build a client from ``settings.EKYC`` (for ``account``, one of ``ACCOUNTS``); keyword arguments win."""
        config = account_config(account)
        options: dict[str, Any] = {
            "access_key_id": config.get("ACCESS_KEY_ID", ""),
            "access_key_secret": config.get("ACCESS_KEY_SECRET", ""),
            "endpoint": config.get("ENDPOINT", ekyc_settings.ENDPOINT),
            "timeout": ekyc_settings.TIMEOUT,
            "max_retries": ekyc_settings.MAX_RETRIES,
            "retry_backoff": ekyc_settings.RETRY_BACKOFF,
            "retry_max_wait": ekyc_settings.RETRY_MAX_WAIT,
            "pool_maxsize": ekyc_settings.POOL_MAXSIZE,
            "product_code": config.get("PRODUCT_CODE", ekyc_settings.PRODUCT_CODE),
            "initialize_defaults": ekyc_settings.INITIALIZE_DEFAULTS,
            "rate_limiter": _rate_limiter(str(config.get("RATE_LIMIT_GROUP") or account or "default")),
            "account": account,
        }
        options.update(overrides)
        if not options["access_key_id"] or not options["access_key_secret"]:
            raise EkycConfigurationError(
                "settings.EKYC needs ACCESS_KEY_ID and ACCESS_KEY_SECRET (a RAM user's AccessKey)."
            )
        return cls(**options)

    @staticmethod
    def _new_session(pool_maxsize: int) -> requests.Session:
        session = requests.Session()
        # Retries are ours (signed anew each time); urllib3 must not replay a
        # request with a used nonce.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.cookies.set_policy(_NoCookies())
        return session

    def __repr__(self) -> str:
        return f"<EkycClient {self.base_url} access_key_id={self.access_key_id!r}>"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> EkycClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- operations -----------------------------------------------------------

    def initialize(
        self,
        *,
        merchant_biz_id: str,
        merchant_user_id: str,
        meta_info: str,
        doc_type: str,
        return_url: str,
        product_code: str | None = None,
        scene_code: str | None = None,
        id_spoof: str | None = None,
        authorize: str | None = None,
        security_level: str | None = None,
        id_threshold: str | None = None,
        model: str | None = None,
        doc_video: str | None = None,
        show_album_icon: str | None = None,
        show_ocr_result: str | None = None,
        language_config: JsonConfig = None,
        style_config: JsonConfig = None,
        callback_url: str | None = None,
        callback_token: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> InitializeResult:
        """Open a verification and get its ``TransactionId`` and single-use ``TransactionUrl``.

        Named arguments cover the documented parameters; ``extra`` passes any
        other provider parameter (``ShowGuidePage``, ``Pages``...) unchanged.
        Settings' ``INITIALIZE_DEFAULTS`` apply first, then ``extra``, then the
        named arguments. Not retried after a read timeout: the provider may
        already have opened the transaction, and the user is waiting.
        """
        required = {
            "MerchantBizId": merchant_biz_id,
            "MerchantUserId": merchant_user_id,
            "MetaInfo": meta_info,
            "DocType": doc_type,
            "ReturnUrl": return_url,
        }
        _require(required)
        named = {
            **required,
            "ProductCode": product_code or self.product_code,
            "SceneCode": scene_code,
            "IdSpoof": id_spoof,
            "Authorize": authorize,
            "SecurityLevel": security_level,
            "IdThreshold": id_threshold,
            "Model": model,
            "DocVideo": doc_video,
            # The seed spells it "ShowBlbumIcon"; the API and SDK use ShowAlbumIcon.
            "ShowAlbumIcon": show_album_icon,
            "ShowOcrResult": show_ocr_result,
            "LanguageConfig": json_config(language_config),
            "StyleConfig": json_config(style_config),
            "CallbackUrl": callback_url,
            "CallbackToken": callback_token,
        }
        params = {**self.initialize_defaults, **(extra or {})}
        params.update({name: value for name, value in named.items() if value is not None})
        body = self.call("Initialize", params, idempotent=False)
        try:
            return InitializeResult.from_response(body)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise self._malformed("Initialize", body, "no usable Result.TransactionId") from err

    def check_result(
        self,
        *,
        merchant_biz_id: str,
        transaction_id: str,
        is_return_image: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> VerificationResult:
        """Fetch a verification's outcome.

        Raises :class:`~django_ekyc.exceptions.EkycNotCompleted` while the user
        has not finished. Read-only, so every transport failure is retried.
        """
        _require({"MerchantBizId": merchant_biz_id, "TransactionId": transaction_id})
        params = {
            **(extra or {}),
            "MerchantBizId": merchant_biz_id,
            "TransactionId": transaction_id,
            "IsReturnImage": "Y" if is_return_image else "N",
        }
        body = self.call("CheckResult", params, idempotent=True)
        if not isinstance(body.get("Result"), Mapping):
            raise self._malformed("CheckResult", body, "no Result")
        return VerificationResult.from_response(body)

    def delete_verify_result(
        self,
        *,
        transaction_id: str,
        delete_type: str,
        delete_after_query: str = "Y",
        extra: Mapping[str, str] | None = None,
    ) -> DeletionResult:
        """Ask the provider to delete its copy of a verification now, not after its 30 days.

        ``delete_type`` picks what goes: ``Img`` (the images) or ``Text`` (everything else); both
        parameters are required by the provider. ``delete_after_query="Y"`` makes the provider refuse
        (``DeleteResult=N``) unless the result was fetched with CheckResult first, so nothing is deleted
        before it was read; ``N`` deletes regardless. Check :attr:`DeletionResult.deleted`: the provider
        answers ``Success`` with ``DeleteResult=N`` when it did not delete. Safe to retry.
        """
        _require({"TransactionId": transaction_id, "DeleteType": delete_type, "DeleteAfterQuery": delete_after_query})
        params = {
            **(extra or {}),
            "TransactionId": transaction_id,
            "DeleteType": delete_type,
            "DeleteAfterQuery": delete_after_query,
        }
        body = self.call("DeleteVerifyResult", params, idempotent=True)
        if not isinstance(body.get("Result"), Mapping):
            raise self._malformed("DeleteVerifyResult", body, "no Result")
        return DeletionResult.from_response(body)

    # -- transport --------------------------------------------------------------

    def call(self, action: str, params: Mapping[str, str], *, idempotent: bool) -> dict[str, Any]:
        """Send one operation, retrying only failures that are safe to retry."""
        attempt = 0
        while True:
            try:
                if self.rate_limiter is not None:
                    self.rate_limiter(action)  # every attempt counts against the account's limit
                return self._send(action, params)
            except EkycError as err:
                delay = self._retry_delay(err, attempt, idempotent)
                if delay is None:
                    raise
                logger.warning(
                    "eKYC %s attempt %d failed (%s); retrying in %.2fs",
                    action,
                    attempt + 1,
                    err.code or type(err).__name__,
                    delay,
                )
                self._sleep(delay)
                attempt += 1

    def _retry_delay(self, err: EkycError, attempt: int, idempotent: bool) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when it must not be retried."""
        if attempt >= self.max_retries:
            return None
        if isinstance(err, EkycThrottled) and (err.code or "").startswith("Throttling"):
            if err.retry_after is not None:
                return err.retry_after if err.retry_after <= self.retry_max_wait else None
            return self._backoff(attempt)
        if isinstance(err, EkycTransportError):
            # A non-idempotent call (Initialize opens a billed verification) that may have reached the
            # provider is never sent again, whether it timed out or the connection broke afterwards.
            if err.request_sent and not idempotent:
                return None
            return self._backoff(attempt)
        if err.code == "ServiceUnavailable" or (err.status == 503 and err.code is None):
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry_max_wait, self.retry_backoff * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret

    def _signed_headers(self, action: str, body: bytes) -> dict[str, str]:
        headers = {
            "host": self.host,
            "content-type": FORM_CONTENT_TYPE,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": utc_timestamp(),
            "x-acs-signature-nonce": uuid.uuid4().hex,
        }
        if self._security_token:
            headers["x-acs-security-token"] = self._security_token.reveal()
        signed = sign_request(
            access_key_id=self.access_key_id,
            access_key_secret=self._secret.reveal(),
            method="POST",
            path="/",
            query={},
            headers=headers,
            body=body,
        )
        return {**signed, "user-agent": USER_AGENT, "accept": "application/json"}

    def _send(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        body = canonical_query_string({k: str(v) for k, v in params.items()}).encode("utf-8")
        headers = self._signed_headers(action, body)
        started = time.monotonic()
        try:
            response = self.session.post(f"{self.base_url}/", data=body, headers=headers, timeout=self.timeout)
        except requests.ConnectTimeout as err:
            raise self._transport_error(EkycTimeout, action, "connect timed out", sent=False) from err
        except requests.Timeout as err:
            raise self._transport_error(EkycTimeout, action, "no answer within the read timeout", sent=True) from err
        except requests.RequestException as err:
            reason = f"connection failed ({type(err).__name__})"
            raise self._transport_error(EkycTransportError, action, reason, sent=not _never_connected(err)) from err
        elapsed_ms = (time.monotonic() - started) * 1000
        return self._parse(action, response, elapsed_ms)

    def _parse(self, action: str, response: requests.Response, elapsed_ms: float) -> dict[str, Any]:
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
        request_id = body.get("RequestId") or header_request_id
        logger.info(
            "eKYC %s -> HTTP %s %s in %.0f ms [RequestId %s]",
            action,
            response.status_code,
            code,
            elapsed_ms,
            request_id,
        )
        if response.status_code == 200 and str(code).lower() == "success":
            return body
        raise self._provider_error(action, response, body, code, request_id)

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

    def _transport_error(self, cls: type[EkycTransportError], action: str, reason: str, *, sent: bool) -> EkycError:
        return cls(f"{reason} calling {self.host}", action=action, request_sent=sent)

    def _malformed(self, action: str, body: Mapping[str, Any], what: str) -> EkycMalformedResponse:
        return EkycMalformedResponse(
            f"The provider's answer has {what}.",
            action=action,
            status=200,
            code=str(body.get("Code") or "") or None,
            request_id=str(body.get("RequestId") or "") or None,
        )

    def _scrub(self, text: str) -> str:
        """Provider messages are copied into exceptions: never let the secret ride along."""
        secret = self._secret.reveal()
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
        return text[:MAX_MESSAGE_LENGTH]


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


def _require(params: Mapping[str, str | None]) -> None:
    missing = [name for name, value in params.items() if value is None or str(value).strip() == ""]
    if missing:
        raise ValueError(f"Required parameter(s) missing: {', '.join(missing)}")


def _retry_after(value: str | None) -> float | None:
    """``x-acs-retry-after`` in seconds; absent, unparsable or non-positive means unknown."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds > 0 else None


def account_config(account: str = "") -> dict[str, Any]:
    """The credentials and options of ``account``: "" is the top-level settings, others come from ACCOUNTS."""
    if not account:
        return {"ACCESS_KEY_ID": ekyc_settings.ACCESS_KEY_ID, "ACCESS_KEY_SECRET": ekyc_settings.ACCESS_KEY_SECRET}
    accounts = ekyc_settings.ACCOUNTS or {}
    if account not in accounts:
        raise EkycConfigurationError(f"Unknown eKYC account {account!r}: add it to EKYC['ACCOUNTS'].")
    return dict(accounts[account])


def _rate_limiter(group: str) -> Callable[[str], None] | None:
    rate = ekyc_settings.RATE_LIMIT
    if not rate:
        return None
    from django_ekyc.ratelimit import CacheRateLimiter

    return CacheRateLimiter(
        rate=int(rate),
        group=group,
        max_wait=float(ekyc_settings.RATE_LIMIT_MAX_WAIT),
        cache_alias=str(ekyc_settings.RATE_LIMIT_CACHE),
    )


_clients: dict[str, EkycClient] = {}
_clients_lock = threading.Lock()


def get_client(account: str = "") -> EkycClient:
    """The process-wide client of ``account`` built from settings, created on first use.

    Sharing it keeps the connection pool warm across requests; it is rebuilt
    when ``settings.EKYC`` changes (``override_settings`` in tests).
    """
    with _clients_lock:
        if account not in _clients:
            _clients[account] = EkycClient.from_settings(account)
        return _clients[account]


def reset_client() -> None:
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


@receiver(setting_changed)
def _reset_client_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "EKYC":
        reset_client()
