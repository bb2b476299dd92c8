"""The provider's own records of a verification: CheckVerifyLog (where the user of a hosted flow stopped),
FraudResultCallBack (a fraud report) and DownloadVerifyRecordIntl (an export of the account's records).

The field names and value sets are the official SDK's (3.23.1) and, for CheckVerifyLog, the provider's page "Query
end-to-end authentication logs" (alibabacloud.com/help/en/ekyc/latest/authentication-log-query-interface,
2026-09). Which page a stopped flow shows, the logs' contents, and everything of the other two operations beyond
their names and values are the simulator's invention: :data:`UNDOCUMENTED` lists them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from django_ekyc.catalogue.products import CATALOGUE, SERVER_PRODUCTS
from django_ekyc.simulator import data
from django_ekyc.simulator.errors import SimulatedApiError
from django_ekyc.simulator.face_library import TopLevel
from django_ekyc.simulator.params import invalid, required
from django_ekyc.simulator.state import SimTransaction, SimulatorState

# The SDK's CheckVerifyLogResponseBodyResult: VerifyStatus 0 finished, 1 unfinished, 2 not started; VerifyErrorCode
# 9999 "the authentication process is suspected to be interrupted".
FINISHED, UNFINISHED, NOT_STARTED = "0", "1", "2"
SUSPECTED_INTERRUPTED = "9999"
# (InterruptPage, InterruptPageEn): both names are in the SDK's lists; pairing them is the simulator's.
NOT_STARTED_PAGE = ("Page not started", "LOADING")
DOCUMENT_PAGE = ("OCR document capture page", "OCR_SCAN")
FACE_PAGE = ("Liveness detection page", "FACE")
# FraudResultCallBackRequest and DownloadVerifyRecordIntlRequest (SDK 3.23.1): their only documented values.
RESULT_CODES = ("PASS", "REJECT")
DEPLOY_ENVIRONMENTS = ("staging", "production")
BIZ_TYPES = ("INVOKE_STATISTICS", "INVOKE_RECORD")
DOWNLOAD_MODES = ("sync", "async")
EXPORT_PATH = "/_sim/records/"

UNDOCUMENTED: Mapping[str, str] = {
    "CheckVerifyLog.Timing": "answered at once: the page says to ask once the TransactionId's 30 minutes are over "
    "(logs arrive asynchronously) and does not say what an earlier call answers",
    "CheckVerifyLog.ServerSide": "a check from pictures has no log (the page: client-side solutions only); asked "
    "about, it answers TransactionIdInvalid, as for any id the simulator does not know",
    "CheckVerifyLog.InterruptPage": "a flow never opened stopped at 'Page not started' (LOADING); one opened and left "
    "at 'OCR document capture page' (OCR_SCAN) when it reads a document, else 'Liveness detection page' (FACE)",
    "CheckVerifyLog.VerifyErrorCode": "9999 for a flow opened and left, the flow's client code (1006 the user quit, "
    "1000/1001 a verdict) for one that ended; none for one never opened",
    "CheckVerifyLog.Passed": "Y or N only for a finished flow, with its SubCode; absent otherwise",
    "CheckVerifyLog.LogInfo": "one line per step ('<UTC time> <step>'); LogInfoEn the same lines",
    "CheckVerifyLog.LogStatisticsInfo": 'a JSON string {"steps": n}',
    "CheckVerifyLog.ExtInfo": 'a JSON string {"certifyId", "productCode"}',
    "FraudResultCallBack.Required": "CertifyId and ResultCode are required (the SDK marks nothing required)",
    "FraudResultCallBack.CertifyId": "must be a TransactionId the simulator knows, else TransactionIdInvalid",
    "FraudResultCallBack.ExtParams": "must be a JSON object when given (the SDK: 'in JSON string format')",
    "FraudResultCallBack.Answer": "Code Success, Message success, Success true",
    "DownloadVerifyRecordIntl.Required": "ProductType, BizType and DownloadMode are required; ProductType is one of "
    "the catalogue's product codes",
    "DownloadVerifyRecordIntl.Param": "sent as given: its form is documented nowhere; it must be a JSON object here",
    "DownloadVerifyRecordIntl.Data": f"sync: Url {EXPORT_PATH}<id>.csv on the simulator, which serves no file there "
    "(it keeps no records to export); async: a DownloadTaskId",
}


def _known(state: SimulatorState, transaction_id: str) -> SimTransaction:
    tx = state.get_transaction(transaction_id)
    if tx is None:
        raise SimulatedApiError(400, "TransactionIdInvalid", "The TransactionId is invalid or has expired.")
    return tx


def _one_of(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> None:
    if params.get(name, "") not in allowed:
        raise invalid(name, f"Valid values: {', '.join(allowed)}.")


def _json_object(params: Mapping[str, str], name: str) -> None:
    try:
        parsed = json.loads(params[name])
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise invalid(name, "It must be a JSON object.")


def check_verify_log(state: SimulatorState, params: Mapping[str, str], public_url: str) -> dict[str, Any]:
    """``CheckVerifyLog``: where the transaction's user got to, as its ``Result``."""
    required(params, "MerchantBizId", "TransactionId")
    tx = _known(state, params["TransactionId"])
    if tx.merchant_biz_id != params["MerchantBizId"]:
        raise invalid("MerchantBizId")
    return verify_log_of(tx)


def verify_log_of(tx: SimTransaction) -> dict[str, Any]:
    """The log of a transaction as it stands: deterministic, from what the simulator knows of its flow."""
    outcome = data.OUTCOMES.get(tx.outcome or "")
    steps = [(tx.created_at, "Initialize")]
    if outcome is not None and outcome.sub_code is not None:
        result: dict[str, Any] = {
            "VerifyStatus": FINISHED,
            "VerifyErrorCode": outcome.client_code,
            "Passed": "Y" if outcome.passed else "N",
            "SubCode": outcome.sub_code,
        }
        steps.append((tx.completed_at or tx.created_at, f"finished {outcome.client_code}"))
    elif tx.page_opened or outcome is not None:
        page, page_en = DOCUMENT_PAGE if tx.doc_type else FACE_PAGE
        code = outcome.client_code if outcome is not None else SUSPECTED_INTERRUPTED
        result = {"VerifyStatus": UNFINISHED, "VerifyErrorCode": code}
        result.update(InterruptPage=page, InterruptPageEn=page_en)
        steps.append((tx.completed_at or tx.created_at, f"{page_en} interrupted {code}"))
    else:
        page, page_en = NOT_STARTED_PAGE
        result = {"VerifyStatus": NOT_STARTED, "InterruptPage": page, "InterruptPageEn": page_en}
    lines = [f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(at))} {step}" for at, step in steps]
    return {
        **result,
        "LogInfo": lines,
        "LogInfoEn": list(lines),
        "LogStatisticsInfo": json.dumps({"steps": len(lines)}),
        "ExtInfo": json.dumps({"certifyId": tx.transaction_id, "productCode": tx.product_code}),
    }


def fraud_result_call_back(state: SimulatorState, params: Mapping[str, str], public_url: str) -> TopLevel:
    """``FraudResultCallBack``: take a report about a known transaction; the answer's fields sit at the top."""
    required(params, "CertifyId", "ResultCode")
    _one_of(params, "ResultCode", RESULT_CODES)
    if params.get("VerifyDeployEnv"):
        _one_of(params, "VerifyDeployEnv", DEPLOY_ENVIRONMENTS)
    if params.get("ExtParams"):
        _json_object(params, "ExtParams")
    _known(state, params["CertifyId"])
    return TopLevel(Success=True)


def download_verify_record_intl(state: SimulatorState, params: Mapping[str, str], public_url: str) -> TopLevel:
    """``DownloadVerifyRecordIntl``: a file's address (sync) or a task (async), under ``Data``."""
    required(params, "ProductType", "BizType", "DownloadMode")
    if params["ProductType"] not in {**CATALOGUE, **SERVER_PRODUCTS}:
        raise invalid("ProductType")
    _one_of(params, "BizType", BIZ_TYPES)
    _one_of(params, "DownloadMode", DOWNLOAD_MODES)
    if params.get("Param"):
        _json_object(params, "Param")
    # The same request names the same export: a repeat of a sync export answers the same file.
    digest = hashlib.sha256(json.dumps(sorted(params.items())).encode()).hexdigest()[:24]
    if params["DownloadMode"] == "sync":
        return TopLevel(Data={"Url": f"{public_url}{EXPORT_PATH}{digest}.csv"})
    return TopLevel(Data={"DownloadTaskId": f"task-{digest}"})
