"""The provider's own records on the wire: for CheckVerifyLog, FraudResultCallBack and DownloadVerifyRecordIntl, the
official SDK as a client of the simulator sends what our client sends, where it sends it, and reads the simulator's
answer into the same fields as our client's parsed results."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from django_ekyc.client.records import fraud_parameters
from django_ekyc.results import FraudReport, RecordsExport, VerifyLog

from .test_conformance_pictures import sdk_call
from .test_conformance_wire import placement, sdk_client

BIZ = "e0c34a77f5ac40a5aa5e6ed20c35abcd"


def same_fields(ours: Any, theirs: Any) -> None:
    """Every field of two parsed results agrees, but the request's own id (each call has its own)."""
    mine, sdk = _fields(ours), _fields(theirs)
    assert mine.pop("request_id") != sdk.pop("request_id")
    assert mine == sdk


def _fields(result: Any) -> dict[str, Any]:
    """The compared fields of a parsed result (``raw`` is not), mappings as plain dicts."""
    values = {field.name: getattr(result, field.name) for field in dataclasses.fields(result) if field.compare}
    return {name: dict(value) if isinstance(value, Mapping) else value for name, value in values.items()}


def both_calls(simulator, action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ours, theirs = simulator.control.calls(action)
    assert placement(ours) == placement(theirs)
    return ours, theirs


@pytest.mark.parametrize("stage", ["never_opened", "left", "quit", "pass", "face_mismatch"])
def test_check_verify_log_reads_alike(simulator, ekyc_client, initialize_kwargs, stage):
    started = ekyc_client.initialize(**initialize_kwargs)
    if stage != "never_opened":
        requests.get(started.transaction_url, timeout=5)
    if stage not in ("never_opened", "left"):
        simulator.control.complete(started.transaction_id, stage)
    ours = ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=started.transaction_id)
    params = {"MerchantBizId": BIZ, "TransactionId": started.transaction_id}
    theirs = sdk_call(sdk_client(simulator), "CheckVerifyLog", params)
    sent, _ = both_calls(simulator, "CheckVerifyLog")
    assert placement(sent) == {"MerchantBizId": ("body", BIZ), "TransactionId": ("body", started.transaction_id)}
    same_fields(ours, VerifyLog.from_response(theirs.to_map()))
    # and the SDK's own model holds what ours parsed, field by field
    result = theirs.result
    assert (result.verify_status, result.verify_error_code or "") == (ours.verify_status, ours.verify_error_code)
    assert (result.interrupt_page or "", result.interrupt_page_en or "") == (
        ours.interrupt_page,
        ours.interrupt_page_en,
    )
    assert tuple(result.log_info) == ours.log_info and tuple(result.log_info_en) == ours.log_info_en
    assert {"Y": True, "N": False, None: None}[result.passed] == ours.passed
    assert (result.sub_code or "") == ours.sub_code and theirs.request_id != ours.request_id


@pytest.mark.parametrize(
    "fields",
    [
        {"result_code": "REJECT"},
        {"result_code": "PASS", "verify_deploy_env": "staging", "ext_params": {"reason": "réel & faux"}},
    ],
)
def test_fraud_result_call_back_reads_alike(simulator, ekyc_client, initialize_kwargs, fields):
    transaction_id = ekyc_client.initialize(**initialize_kwargs).transaction_id
    ours = ekyc_client.report_fraud(transaction_id=transaction_id, **fields)
    theirs = sdk_call(
        sdk_client(simulator), "FraudResultCallBack", fraud_parameters(transaction_id=transaction_id, **fields)
    )
    sent, _ = both_calls(simulator, "FraudResultCallBack")
    assert {where for where, _value in placement(sent).values()} == {"query"}
    assert sent["params"]["CertifyId"] == transaction_id
    same_fields(ours, FraudReport.from_response(theirs.to_map()))
    assert (theirs.success, theirs.code, theirs.message) == (ours.success, ours.code, ours.message)


@pytest.mark.parametrize(
    ("mode", "biz_type"), [("sync", "INVOKE_RECORD"), ("async", "INVOKE_STATISTICS")]
)  # fmt: skip
def test_download_verify_record_intl_reads_alike(simulator, ekyc_client, mode, biz_type):
    param, code = '{"StartDate":"2026-11-01 00:00:00 +0800","EndDate":"2026-11-30 23:59:59 +0800"}', "q-1"
    ours = ekyc_client.download_verify_records(
        product_type="eKYC_PRO", param=param, biz_type=biz_type, download_mode=mode, code=code
    )
    params = {"ProductType": "eKYC_PRO", "Param": param, "BizType": biz_type, "DownloadMode": mode, "Code": code}
    theirs = sdk_call(sdk_client(simulator), "DownloadVerifyRecordIntl", params)
    sent, _ = both_calls(simulator, "DownloadVerifyRecordIntl")
    assert sent["params"] == params and {where for where, _value in placement(sent).values()} == {"query"}
    same_fields(ours, RecordsExport.from_response(theirs.to_map()))
    assert (theirs.data.url or "", theirs.data.download_task_id or "") == (ours.url, ours.task_id)
    assert bool(ours.url) == (mode == "sync") and bool(ours.task_id) == (mode == "async")
