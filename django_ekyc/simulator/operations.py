"""The provider's API operations behind the gateway, one function per action.

:data:`OPERATIONS` maps each action to its function: a new operation is one
entry there, and the gateway and the fault injector learn of it from that map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django_ekyc.simulator import data, rules
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.state import SimulatorState

# (state, parameters, the simulator's public URL) -> the answer's ``Result``.
Operation = Callable[[SimulatorState, Mapping[str, str], str], dict[str, Any]]


def _validate(check: Callable[[Mapping[str, str]], None], params: Mapping[str, str]) -> None:
    try:
        check(params)
    except rules.ParameterError as err:
        raise SimulatedApiError(400, err.code, err.message) from err


def _unknown_transaction() -> SimulatedApiError:
    return SimulatedApiError(400, "TransactionIdInvalid", "The TransactionId is invalid or has expired.")


def initialize(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    _validate(rules.validate_initialize, params)
    tx = state.add_transaction(params)
    return {
        "TransactionId": tx.transaction_id,
        "TransactionUrl": f"{public_url}/1.0.0/index.html?clientcfg={tx.page_token}",
        "Protocol": f"sim-protocol-{tx.page_token[:12]}",
        "ClientCfg": tx.page_token,
    }


def check_result(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    _validate(rules.validate_check_result, params)
    tx = state.get_transaction(params["TransactionId"])
    if tx is None:
        raise _unknown_transaction()
    if tx.merchant_biz_id != params["MerchantBizId"]:
        raise SimulatedApiError(400, "InvalidParameter", 'The specified parameter "MerchantBizId" is not valid.')
    outcome = data.OUTCOMES.get(tx.outcome or "")
    if outcome is None or outcome.sub_code is None:
        raise SimulatedApiError(404, "ProcessNotCompleted", "The verification process is not completed.")
    state.mark_result_fetched(tx)
    return data.check_result_payload(
        transaction_id=tx.transaction_id,
        doc_type=tx.doc_type,
        outcome=outcome,
        with_images=params.get("IsReturnImage") == "Y" and not tx.images_deleted,
        authorize=tx.authorize,
    )


def delete_verify_result(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """Delete a transaction's images (``Img``) or its record (``Text``: CheckResult then answers
    TransactionIdInvalid). With ``DeleteAfterQuery=Y`` nothing is deleted before its result was fetched."""
    _validate(rules.validate_delete, params)
    transaction_id = params["TransactionId"]
    tx, deleted = state.delete_result(
        transaction_id,
        images_only=params["DeleteType"] == "Img",
        only_if_fetched=params["DeleteAfterQuery"] == "Y",
    )
    if tx is None:
        raise _unknown_transaction()
    return {"DeleteResult": "Y" if deleted else "N", "TransactionId": transaction_id}


OPERATIONS: dict[str, Operation] = {
    "Initialize": initialize,
    "CheckResult": check_result,
    "DeleteVerifyResult": delete_verify_result,
}
