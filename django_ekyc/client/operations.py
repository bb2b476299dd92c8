"""``EkycClient``: the provider's operations, each one a call through the transport and the retry policy.

One client owns one pooled ``requests.Session`` (through its :class:`~django_ekyc.client.transport.Transport`)
and is safe to share between threads: build it once per process (:func:`~django_ekyc.client.get_client`)
rather than per call, so a threaded server keeps one warm connection per thread instead of paying a TLS
handshake for every verification.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from django_ekyc.catalogue.operations import Operation, operation
from django_ekyc.catalogue.products import CATALOGUE, WEB_PARAMETERS, Channel, channel_of
from django_ekyc.catalogue.values import operation_problems
from django_ekyc.client import deadline
from django_ekyc.client.configured import client_options
from django_ekyc.client.faces import FaceLibraryOperations
from django_ekyc.client.pictures import PictureOperations
from django_ekyc.client.records import RecordOperations
from django_ekyc.client.retry import RetryPolicy
from django_ekyc.client.slots import Limiter, take_slot
from django_ekyc.client.transport import Timeout, Transport, transaction_of
from django_ekyc.conf import DEFAULT_ENDPOINT
from django_ekyc.exceptions import EkycDeadlineExceeded, EkycError, EkycNotCompleted
from django_ekyc.metrics import outcome_code
from django_ekyc.results import DeletionResult, InitializeResult, VerificationResult
from django_ekyc.tracing import attempt_span

logger = logging.getLogger("django_ekyc.client")

# An older eKYC CheckResult page (2024-01) documents Passed=P, "pending, later updated to Y or N"; the SDK 3.23.1
# lists only Y and N. Should it come, the verdict is not final: the transaction waits and is checked again.
PENDING = "P"


class EkycClient(FaceLibraryOperations, PictureOperations, RecordOperations):
    """A signed client for ``Initialize`` / ``InitializeV2``, ``CheckResult``, ``DeleteVerifyResult`` and the
    face library operations (:class:`~django_ekyc.client.faces.FaceLibraryOperations`) and the checks from the
    site's pictures (:class:`~django_ekyc.client.pictures.PictureOperations`)."""

    def __init__(
        self,
        *,
        access_key_id: str = "",
        access_key_secret: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: Timeout = (3.05, 10.0),
        max_retries: int = 2,
        retry_backoff: float = 0.25,
        retry_max_wait: float = 5.0,
        pool_maxsize: int = 32,
        product_code: str = "eKYC",
        initialize_defaults: Mapping[str, str] | None = None,
        product_defaults: Mapping[str, Mapping[str, str]] | None = None,
        security_token: str | None = None,
        credentials: Any = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limiter: Limiter | None = None,
        account: str = "",
    ) -> None:
        self.retry = RetryPolicy(max_retries, retry_backoff, retry_max_wait)
        self.transport = Transport(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            timeout=timeout,
            security_token=security_token,
            credentials=credentials,
            session=session,
            pool_maxsize=pool_maxsize,
        )
        self.product_code = product_code
        self.initialize_defaults = dict(initialize_defaults or {})
        self.product_defaults = {code: dict(values) for code, values in (product_defaults or {}).items()}
        self.rate_limiter = rate_limiter
        self.account = account
        self._sleep = sleep

    @classmethod
    def from_settings(cls, account: str = "", **overrides: Any) -> EkycClient:
        """Build a client from ``settings.EKYC`` (for ``account``, one of ``ACCOUNTS``); keyword arguments win."""
        return cls(**{**client_options(account), **overrides})

    # What callers and tests read of the transport and the policy.
    access_key_id = property(lambda self: self.transport.access_key_id)
    base_url = property(lambda self: self.transport.base_url)
    host = property(lambda self: self.transport.host)
    timeout = property(lambda self: self.transport.timeout)
    session = property(lambda self: self.transport.session)
    max_retries = property(lambda self: self.retry.max_retries)

    def __repr__(self) -> str:
        return f"<EkycClient {self.base_url} access_key_id={self.access_key_id!r}>"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> EkycClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- operations -----------------------------------------------------------------------------------------

    def initialize(
        self,
        *,
        merchant_biz_id: str,
        merchant_user_id: str,
        meta_info: str,
        product_code: str | None = None,
        channel: Channel | None = None,
        parameters: Mapping[str, str] | None = None,
        operation: str = "Initialize",
    ) -> InitializeResult:
        """Open a verification and get its ``TransactionId``, and for a browser its single-use ``TransactionUrl``
        (for an app, the ``Protocol`` the app SDK's ``verify`` takes).

        ``parameters`` are any of the operation's declared parameters, by their API names (``DocType``,
        ``ReturnUrl``, ``CallbackUrl``...). The client's ``initialize_defaults`` and the product's
        ``product_defaults`` apply first (only those the product takes on ``channel``; by default the channel the
        MetaInfo says), then ``parameters``. ``operation="InitializeV2"`` sends the same through InitializeV2,
        which carries a reference face picture (``TargetFacePicture``) in the body. Never sent twice once it may
        have reached the provider: it may already have opened (and billed) the transaction.
        """
        code = product_code or self.product_code
        device = channel or channel_of(meta_info)
        required = {"MerchantBizId": merchant_biz_id, "MerchantUserId": merchant_user_id, "MetaInfo": meta_info}
        params = {**self.defaults_for(code, device), **(parameters or {}), **required, "ProductCode": code}
        body = self.call(operation, params, idempotent=False)
        try:
            return InitializeResult.from_response(body)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise self.transport.malformed(operation, body, "no usable Result.TransactionId") from err

    def initialize_v2(self, **kwargs: Any) -> InitializeResult:
        """:meth:`initialize` through ``InitializeV2`` (the operation the newest eKYC_PRO pages document)."""
        return self.initialize(**kwargs, operation="InitializeV2")

    def defaults_for(self, product_code: str, channel: Channel = Channel.WEB) -> dict[str, str]:
        """The default Initialize parameters of a product: the client's, then the product's own, keeping only
        those the product takes (a liveness check has no ``IdSpoof``)."""
        defaults = {**self.initialize_defaults, **self.product_defaults.get(product_code, {})}
        product = CATALOGUE.get(product_code)
        if product is None:
            return {
                name: value for name, value in defaults.items() if channel is Channel.WEB or name not in WEB_PARAMETERS
            }
        return {name: value for name, value in defaults.items() if product.accepts_parameter(name, channel)}

    def check_result(
        self,
        *,
        merchant_biz_id: str,
        transaction_id: str,
        is_return_image: bool = False,
        product_code: str = "",
        extra: Mapping[str, str] | None = None,
    ) -> VerificationResult:
        """Fetch a verification's outcome.

        ``product_code`` is the transaction's product: the provider counts a CheckResult against that product's
        quota, and so does the site's limiter. ``extra`` takes CheckResult's other declared parameters
        (``ExtraImageControlList``, ``ReturnFiveCategorySpoofResult``; the provider documents no values for
        them). Raises :class:`~django_ekyc.exceptions.EkycNotCompleted` while the user has not finished.
        Read-only, so every transport failure is retried.
        """
        params = {
            **(extra or {}),
            "MerchantBizId": merchant_biz_id,
            "TransactionId": transaction_id,
            "IsReturnImage": "Y" if is_return_image else "N",
        }
        body = self.call("CheckResult", params, idempotent=True, product_code=product_code)
        if not isinstance(body.get("Result"), Mapping):
            raise self.transport.malformed("CheckResult", body, "no Result")
        if str(body["Result"].get("Passed", "")).upper() == PENDING:
            raise EkycNotCompleted(
                "The provider's verdict is pending (Passed=P); it is updated to Y or N later.",
                action="CheckResult",
                code="Passed.P",
                request_id=str(body.get("RequestId") or ""),
            )
        return VerificationResult.from_response(body)

    def delete_verify_result(
        self,
        *,
        transaction_id: str,
        delete_type: str,
        delete_after_query: str = "Y",
        product_code: str = "",
        extra: Mapping[str, str] | None = None,
    ) -> DeletionResult:
        """Ask the provider to delete its copy of a verification now, not after its 30 days.

        ``delete_type`` picks what goes: ``Img`` (the images) or ``Text`` (everything else); both
        parameters are required by the provider. ``delete_after_query="Y"`` makes the provider refuse
        (``DeleteResult=N``) unless the result was fetched with CheckResult first, so nothing is deleted
        before it was read; ``N`` deletes regardless. Check :attr:`DeletionResult.deleted`: the provider
        answers ``Success`` with ``DeleteResult=N`` when it did not delete. Safe to retry.
        """
        params = {
            **(extra or {}),
            "TransactionId": transaction_id,
            "DeleteType": delete_type,
            "DeleteAfterQuery": delete_after_query,
        }
        body = self.call("DeleteVerifyResult", params, idempotent=True, product_code=product_code)
        if not isinstance(body.get("Result"), Mapping):
            raise self.transport.malformed("DeleteVerifyResult", body, "no Result")
        return DeletionResult.from_response(body)

    # -- one operation, with the site's rate limit, the retry policy and the request's deadline -------------

    def call(
        self, action: str, params: Mapping[str, str], *, idempotent: bool, product_code: str = ""
    ) -> dict[str, Any]:
        """Send one declared operation, retrying only failures that are safe to retry, all within the request's
        deadline when there is one (:func:`~django_ekyc.client.deadline.request_deadline`).

        Before anything is sent, the parameters are checked against the operation's declaration (names,
        required ones, allowed values): a ``ValueError`` says what is wrong. ``product_code`` is the product whose
        quota the call counts against (by default the ``ProductCode`` it sends)."""
        declared = operation(action)
        problems = operation_problems(declared, params)
        if problems:
            raise ValueError(f"{action}: {'; '.join(problems)}.")
        product = product_code or params.get("ProductCode", "")
        attempt = 0
        while True:
            try:
                return self._attempt(declared, params, product, attempt + 1)
            except EkycError as err:
                fields = _failure_fields(action, err, attempt + 1, params)
                delay = self._retry_delay(err, attempt, idempotent=idempotent, fields=fields)
                if delay is None:
                    raise
                logger.warning(
                    "eKYC %s attempt %d failed (%s); retrying in %.2fs",
                    action,
                    attempt + 1,
                    fields["code"],
                    delay,
                    extra={**fields, "retry_in_s": round(delay, 3)},
                )
                self._sleep(delay)
                attempt += 1

    def _attempt(self, declared: Operation, params: Mapping[str, str], product: str, attempt: int) -> dict[str, Any]:
        """Attempt ``attempt`` (1 for the first), in a span of its own (:mod:`django_ekyc.tracing`): the credential
        to sign with (a provider's refresh may be slow: it counts against the deadline, and when it fails no slot
        was taken), a slot of the site's rate limit (every attempt counts against the account's limit, per product
        and operation, as the provider counts), then the signed request, each cut to what remains of the
        deadline."""
        action = declared.action
        with attempt_span(action, attempt) as span:
            deadline.time_for_attempt(action)  # nothing left: not even the provider is asked
            credential = self.transport.credential(action, params, attempt=attempt)
            within = deadline.time_for_attempt(action)
            if self.rate_limiter is not None:
                span.waited(take_slot(self.rate_limiter, action, product, within))
                within = deadline.time_for_attempt(action)
            query, form = declared.place(params)
            body = self.transport.send(action, query, form, within=within, attempt=attempt, credential=credential)
            span.answered(body)
            return body

    def _retry_delay(
        self, err: EkycError, attempt: int, *, idempotent: bool, fields: Mapping[str, Any]
    ) -> float | None:
        """The retry policy's wait, unless the deadline ran out or would before the retry could be made."""
        if isinstance(err, EkycDeadlineExceeded):
            return None
        delay = self.retry.delay(err, attempt, idempotent=idempotent)
        if delay is not None and not deadline.leaves_time_after(delay):
            logger.warning(
                "eKYC %s not retried (%s): the request's deadline ends first", err.action, fields["code"], extra=fields
            )
            return None
        return delay


def _failure_fields(action: str, err: EkycError, attempt: int, params: Mapping[str, str]) -> dict[str, Any]:
    """The structured fields of a failed attempt's log lines: those of the call's own line, but its duration."""
    return {
        "operation": action,
        "code": outcome_code(err),
        "status": err.status,
        "request_id": err.request_id or "",
        "transaction_id": transaction_of(params),
        "attempt": attempt,
    }


def place_parameters(action: str, params: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str] | None]:
    """Split an operation's parameters into (query, form body or None) as the official SDK does."""
    return operation(action).place(params)
