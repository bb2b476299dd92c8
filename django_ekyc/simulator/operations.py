"""The provider's API operations behind the gateway, one function per action.

:data:`OPERATIONS` maps each action to its function: a new operation is one
entry there, and the gateway and the fault injector learn of it from that map.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django_ekyc.simulator import data, face_library, faces, pictures, pictures_documents, records, rules
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.products import BEHAVIOURS
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
    """Open a transaction. A browser gets a single-use page URL, for a phone (MetaInfo ``h5``) another than for a
    PC (``web``), as the provider does; an app (``ios``, ``android``) gets no URL, only what its SDK takes."""
    device_type = _device_type(params.get("MetaInfo", ""))
    _validate(lambda checked: rules.validate_initialize(checked, state.region, device_type), params)
    product = params["ProductCode"]
    tx = state.add_transaction(
        params,
        device_type,
        reference_person=faces.reference_person_for(params) if product == "FACE_VERIFY" else None,
        face_search=faces.face_search_for(state, params) if product == "FACE_IDU" else None,
    )
    result = {"TransactionId": tx.transaction_id, "Protocol": tx.protocol, "ClientCfg": tx.page_token}
    if not tx.in_app:
        page = "/h5/1.0.0/index.html" if device_type == "h5" else "/1.0.0/index.html"
        result["TransactionUrl"] = f"{public_url}{page}?clientcfg={tx.page_token}"
    return result


def _device_type(meta_info: str) -> str:
    try:
        meta = json.loads(meta_info)
    except ValueError:
        return "web"
    return str(meta.get("deviceType") or "web").lower() if isinstance(meta, dict) else "web"


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
    with_images = params.get("IsReturnImage") == "Y" and not tx.images_deleted
    return BEHAVIOURS[tx.product_code].result(tx, outcome, with_images)


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
    "InitializeV2": initialize,  # the same flow; the SDK carries TargetFacePicture in the body
    "CheckResult": check_result,
    "DeleteVerifyResult": delete_verify_result,
    # The provider's own records of a verification: its log, a fraud report, an export.
    "CheckVerifyLog": records.check_verify_log,
    "FraudResultCallBack": records.fraud_result_call_back,
    "DownloadVerifyRecordIntl": records.download_verify_record_intl,
    "FaceVerifyIntl": faces.face_verify_intl,
    "FaceDuplicationCheckIntl": faces.face_duplication_check_intl,
    "AddFaceRecord": face_library.add_face_record,
    "QueryFaceRecord": face_library.query_face_record,
    "DeleteFaceRecordV2": face_library.delete_face_record_v2,
    # The checks of a site's own pictures (a V2 also takes each picture as a file stream).
    "FaceCompare": pictures.face_compare,
    "FaceCompareV2": pictures.face_compare_v2,
    "FaceLiveness": pictures.face_liveness,
    "FaceLivenessV2": pictures.face_liveness_v2,
    "DeepfakeDetectIntl": pictures.deepfake_detect_intl,
    "DocOcr": pictures_documents.doc_ocr,
    "DocOcrV2": pictures_documents.doc_ocr_v2,
    "DocOcrMax": pictures_documents.doc_ocr_max,
    "DocOcrMaxV2": pictures_documents.doc_ocr_max_v2,
    "CardOcr": pictures_documents.card_ocr,
    "EkycVerify": pictures_documents.ekyc_verify,
    "EkycVerifyV2": pictures_documents.ekyc_verify_v2,
}
