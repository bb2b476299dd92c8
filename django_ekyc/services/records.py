"""The provider's own records of a verification, kept on the transaction: where an unfinished hosted flow stopped
(``CheckVerifyLog``), and a staff member's report of a confirmed fraud (``FraudResultCallBack``).

Each provider call goes through :func:`~django_ekyc.services.ledger.recorded_call`, so that it leaves a history row
whether it succeeds or fails; neither changes the transaction's status or the provider's verdict.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from django_ekyc.client import EkycClient, get_client
from django_ekyc.client.records import DEPLOY_ENVIRONMENTS, RESULT_CODES
from django_ekyc.exceptions import EkycError, InvalidInput, ProviderCallFailed
from django_ekyc.models import EventKind, EventSource, KycTransaction, KycTransactionEvent
from django_ekyc.results import FraudReport
from django_ekyc.services import ledger

# The messages of InvalidInput here are for staff and in English: not marked for translation until the catalogues
# under django_ekyc/locale/ carry them (tests/test_translations.py fails on an untranslated string).
STOPPED_AT_LENGTH = 64  # KycTransaction.stopped_at
# The REVIEW event's code: the provider took the report, said it did not, or could not be reached.
FRAUD_REPORTED = "fraud_reported"
FRAUD_REPORT_REFUSED = "fraud_report_refused"
FRAUD_REPORT_FAILED = "fraud_report_failed"


def _needs_transaction_id(kyc: KycTransaction) -> str:
    if not kyc.transaction_id:
        raise InvalidInput(
            "transaction_id", "required", "This verification was never opened at the provider: it has no TransactionId."
        )
    return str(kyc.transaction_id)


def store_verify_log(
    kyc: KycTransaction, *, source: EventSource | str, client: EkycClient | None = None
) -> KycTransaction:
    """Ask the provider where the user of ``kyc`` stopped, and keep it: ``stopped_at`` (the code
    ``InterruptPageEn``, else the page's name ``InterruptPage``; empty for a finished flow) and ``verify_log`` (the
    parsed log, without pictures), written with the call's history row in one commit.

    The provider's page asks for this once the TransactionId's 30 minutes are over (its logs arrive
    asynchronously): expiry of abandoned verifications is the moment. Raises
    :class:`~django_ekyc.exceptions.InvalidInput` (``required``: no TransactionId) before any call, and
    :class:`~django_ekyc.exceptions.ProviderCallFailed` when the call fails (recorded in the history).
    """
    transaction_id = _needs_transaction_id(kyc)
    client = client or get_client(kyc.account)
    call = functools.partial(
        client.check_verify_log,
        merchant_biz_id=kyc.merchant_biz_id,
        transaction_id=transaction_id,
        product_code=kyc.product_code,
    )
    try:
        log, record = ledger.recorded_call(kyc, "CheckVerifyLog", source, call)
    except EkycError as err:
        raise ProviderCallFailed(kyc, err) from err
    values = {"stopped_at": log.stopped_at[:STOPPED_AT_LENGTH], "verify_log": log.as_stored()}
    _save_with(record, kyc, values)
    kyc.refresh_from_db()
    return kyc


def _save_with(record: KycTransactionEvent, kyc: KycTransaction, values: dict[str, Any]) -> None:
    """The call's history row and the transaction's new fields in one commit; the row alone if that fails."""
    try:
        with transaction.atomic():
            record.save()
            KycTransaction.objects.filter(pk=kyc.pk).update(**values, updated_at=timezone.now())
    except DatabaseError:
        ledger.save_alone(record)
        raise


def check_fraud_report(result_code: str, verify_deploy_env: str = "", ext_params: Any = None) -> None:
    """Refuse what the provider does not take, before anything is sent (:class:`InvalidInput`: ``invalid_choice``,
    ``invalid_json_option``). The values are the SDK's (``FraudResultCallBackRequest``)."""
    if result_code not in RESULT_CODES:
        message = f"The result must be one of: {', '.join(sorted(RESULT_CODES))}."
        raise InvalidInput("result_code", "invalid_choice", message)
    if verify_deploy_env and verify_deploy_env not in DEPLOY_ENVIRONMENTS:
        message = f"The environment must be one of: {', '.join(sorted(DEPLOY_ENVIRONMENTS))}."
        raise InvalidInput("verify_deploy_env", "invalid_choice", message)
    if ext_params is not None and not isinstance(ext_params, Mapping):
        raise InvalidInput("ext_params", "invalid_json_option", "The extra parameters must be a JSON object.")
    try:
        json.dumps(ext_params)
    except (TypeError, ValueError) as err:
        message = "The extra parameters must be a JSON object."
        raise InvalidInput("ext_params", "invalid_json_option", message) from err


def report_fraud(
    kyc: KycTransaction,
    *,
    staff: Any,
    result_code: str,
    verify_deploy_env: str = "",
    ext_params: Mapping[str, Any] | None = None,
    client: EkycClient | None = None,
) -> FraudReport:
    """Report a staff member's finding about ``kyc`` to the provider: ``REJECT`` (a confirmed fraud) or ``PASS``
    (none). The call is recorded (source ``admin``), and so is a ``review`` event saying who reported what and what
    the provider answered, or that the call failed.

    Check :attr:`~django_ekyc.results.FraudReport.success` on the answer. Sent once: a call that may have reached
    the provider is not retried, and nothing here stops staff from reporting again. Raises
    :class:`~django_ekyc.exceptions.InvalidInput` (``required``, ``invalid_choice``, ``invalid_json_option``)
    before any call, and :class:`~django_ekyc.exceptions.ProviderCallFailed` when the call fails.
    """
    transaction_id = _needs_transaction_id(kyc)
    check_fraud_report(result_code, verify_deploy_env, ext_params)
    client = client or get_client(kyc.account)
    who = f"{staff.get_username()} (id {staff.pk})"
    call = functools.partial(
        client.report_fraud,
        transaction_id=transaction_id,
        result_code=result_code,
        verify_deploy_env=verify_deploy_env,
        ext_params=ext_params,
    )
    try:
        answer, record = ledger.recorded_call(kyc, "FraudResultCallBack", EventSource.ADMIN, call)
    except EkycError as err:
        message = f"{who} reported ResultCode={result_code}; the call failed: {ledger.code_of(err)}"
        _record_review(kyc, FRAUD_REPORT_FAILED, message, err.request_id or "")
        raise ProviderCallFailed(kyc, err) from err
    said = f"Success={str(answer.success).lower()}, Code={answer.code}, Message={answer.message}"
    message = f"{who} reported ResultCode={result_code}; the provider answered {said}"
    with transaction.atomic():
        record.save()
        _record_review(kyc, FRAUD_REPORTED if answer.success else FRAUD_REPORT_REFUSED, message, answer.request_id)
    return answer


def _record_review(kyc: KycTransaction, code: str, message: str, request_id: str) -> None:
    ledger.record_event(
        kyc,
        EventKind.REVIEW,
        EventSource.ADMIN,
        action="FraudResultCallBack",
        code=code,
        message=message[: ledger.MESSAGE_LENGTH],
        request_id=request_id,
    )
