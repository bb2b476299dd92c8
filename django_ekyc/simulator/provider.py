"""The provider's behaviour behind the gateway: Initialize, CheckResult, and the hosted flow's end."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from django_ekyc.simulator import data, rules
from django_ekyc.simulator.state import SimTransaction, SimulatorState

logger = logging.getLogger("django_ekyc.simulator")

CALLBACK_TIMEOUT_SECONDS = 5.0


class ProviderError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad_parameter(err: rules.ParameterError) -> ProviderError:
    return ProviderError(400, err.code, err.message)


def initialize(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    try:
        rules.validate_initialize(params)
    except rules.ParameterError as err:
        raise _bad_parameter(err) from err
    tx = state.add_transaction(params)
    return {
        "TransactionId": tx.transaction_id,
        "TransactionUrl": f"{public_url}/1.0.0/index.html?clientcfg={tx.page_token}",
        "Protocol": f"sim-protocol-{tx.page_token[:12]}",
        "ClientCfg": tx.page_token,
    }


def check_result(state: SimulatorState, params: Mapping[str, str]) -> dict[str, Any]:
    try:
        rules.validate_check_result(params)
    except rules.ParameterError as err:
        raise _bad_parameter(err) from err
    with state.lock:
        tx = state.transactions.get(params["TransactionId"])
    if tx is None:
        raise ProviderError(400, "TransactionIdInvalid", "The TransactionId is invalid or has expired.")
    if tx.merchant_biz_id != params["MerchantBizId"]:
        raise ProviderError(400, "InvalidParameter", 'The specified parameter "MerchantBizId" is not valid.')
    outcome = data.OUTCOMES.get(tx.outcome or "")
    if outcome is None or outcome.sub_code is None:
        raise ProviderError(404, "ProcessNotCompleted", "The verification process is not completed.")
    with state.lock:
        tx.result_fetched = True
    return data.check_result_payload(
        transaction_id=tx.transaction_id,
        doc_type=tx.doc_type,
        outcome=outcome,
        with_images=params.get("IsReturnImage") == "Y" and not tx.images_deleted,
        authorize=tx.authorize,
    )


def delete_verify_result(state: SimulatorState, params: Mapping[str, str]) -> dict[str, Any]:
    """Delete a transaction's images (``Img``) or its record (``Text``: CheckResult then answers
    TransactionIdInvalid). With ``DeleteAfterQuery=Y`` nothing is deleted before its result was fetched."""
    try:
        rules.validate_delete(params)
    except rules.ParameterError as err:
        raise _bad_parameter(err) from err
    transaction_id = params["TransactionId"]
    with state.lock:
        tx = state.transactions.get(transaction_id)
        if tx is None:
            raise ProviderError(400, "TransactionIdInvalid", "The TransactionId is invalid or has expired.")
        if params["DeleteAfterQuery"] == "Y" and not tx.result_fetched:
            return {"DeleteResult": "N", "TransactionId": transaction_id}
        if params["DeleteType"] == "Img":
            tx.images_deleted = True
        else:
            del state.transactions[transaction_id]
    return {"DeleteResult": "Y", "TransactionId": transaction_id}


class FlowError(Exception):
    """The hosted flow cannot go on: unknown, already used or already finished."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def open_page(state: SimulatorState, page_token: str) -> SimTransaction:
    """Hand out the hosted page once: a TransactionUrl is single-use."""
    with state.lock:
        tx = state.transactions.get(state.pages.get(page_token, ""))
        if tx is None:
            raise FlowError(404, "This verification link is not valid.")
        if tx.page_opened or tx.finished:
            raise FlowError(410, "This verification link has already been used.")
        tx.page_opened = True
        return tx


def return_url_for(tx: SimTransaction, outcome: data.Outcome) -> str:
    """ReturnUrl plus the ``response`` parameter integrators see (display data only)."""
    response = {
        "resultCode": outcome.client_code,
        "resultMessage": "finished" if outcome.sub_code else "user quit",
        "extInfo": {"certifyId": tx.transaction_id},
    }
    separator = "&" if urlsplit(tx.return_url).query else "?"
    query = urlencode({"response": json.dumps(response, separators=(",", ":"))})
    return f"{tx.return_url}{separator}{query}"


def send_callback(tx: SimTransaction, outcome: data.Outcome) -> dict[str, Any] | None:
    """Call CallbackUrl with GET as the provider does; report what happened."""
    if not tx.callback_url or outcome.sub_code is None:
        return None
    params = {"transactionId": tx.transaction_id, "passed": "Y" if outcome.passed else "N", "subCode": outcome.sub_code}
    if tx.callback_token:
        params["callbackToken"] = tx.callback_token
    separator = "&" if urlsplit(tx.callback_url).query else "?"
    url = f"{tx.callback_url}{separator}{urlencode(params)}"
    report: dict[str, Any] = {"url": tx.callback_url, "status": None, "error": None}
    try:
        with urllib.request.urlopen(url, timeout=CALLBACK_TIMEOUT_SECONDS) as answer:  # noqa: S310 (http(s) checked)
            report["status"] = answer.status
    except urllib.error.HTTPError as err:
        report["status"] = err.code
    except (urllib.error.URLError, OSError) as err:
        report["error"] = type(err).__name__
    logger.info("callback for %s answered %s", tx.transaction_id, report["status"] or report["error"])
    return report


def complete(state: SimulatorState, transaction_id: str, outcome_name: str) -> dict[str, Any]:
    """End the hosted flow with an outcome: record it, compute the redirect, call back."""
    outcome = data.OUTCOMES.get(outcome_name)
    if outcome is None:
        raise FlowError(400, f"Unknown outcome {outcome_name!r}; choose one of {', '.join(data.OUTCOMES)}.")
    with state.lock:
        tx = state.transactions.get(transaction_id)
        if tx is None:
            raise FlowError(404, "Unknown TransactionId.")
        if tx.finished:
            raise FlowError(409, "This verification has already ended.")
        tx.outcome, tx.completed_at, tx.page_opened = outcome.name, time.time(), True
    return {
        "transaction_id": tx.transaction_id,
        "outcome": outcome.name,
        "passed": outcome.passed if outcome.sub_code else None,
        "sub_code": outcome.sub_code,
        "redirect_url": return_url_for(tx, outcome),
        "callback": send_callback(tx, outcome),
    }
