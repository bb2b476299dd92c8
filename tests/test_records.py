"""The provider's own records of a verification, against the simulator over real HTTP: the client's three
operations, the services that keep them on a transaction, and ``manage.py ekyc_download_records``."""

from __future__ import annotations

import http.server
import json
import threading
import time
from io import StringIO
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection

from django_ekyc.exceptions import EkycBadRequest, EkycTransportError, InvalidInput, ProviderCallFailed
from django_ekyc.management.commands.ekyc_download_records import fetch_export
from django_ekyc.models import EventKind, EventSource, KycTransaction, KycTransactionEvent
from django_ekyc.results import VerifyLog
from django_ekyc.services import records

BIZ = "e0c34a77f5ac40a5aa5e6ed20c35abcd"


@pytest.fixture
def opened(ekyc_client, initialize_kwargs):
    """A transaction opened at the provider; ``visit=True`` also opens its page, as a user who then left."""

    def run(visit: bool = False):
        started = ekyc_client.initialize(**initialize_kwargs)
        if visit:
            assert requests.get(started.transaction_url, timeout=5).status_code == 200
        return started.transaction_id

    return run


def test_a_flow_never_opened_has_not_started(ekyc_client, opened):
    log = ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=opened())
    assert (log.verify_status, log.interrupt_page, log.interrupt_page_en) == ("2", "Page not started", "LOADING")
    assert log.stopped_at == "LOADING" and log.passed is None and not log.finished


def test_a_flow_opened_and_left_says_where_the_user_stopped(ekyc_client, opened):
    log = ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=opened(visit=True), product_code="eKYC")
    assert (log.verify_status, log.verify_error_code) == ("1", "9999")
    assert log.stopped_at == log.interrupt_page_en == "OCR_SCAN" and log.interrupt_page == "OCR document capture page"
    assert len(log.log_info) == 2 and log.log_statistics == {"steps": 2}


def test_a_quit_is_unfinished_with_its_client_code_and_a_finished_flow_has_its_verdict(ekyc_client, opened, simulator):
    quit_id, passed_id = opened(visit=True), opened(visit=True)
    simulator.control.complete(quit_id, "quit")
    simulator.control.complete(passed_id, "pass")
    quit_log = ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=quit_id)
    passed_log = ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=passed_id)
    assert (quit_log.verify_status, quit_log.verify_error_code) == ("1", "1006")
    assert quit_log.stopped_at == "OCR_SCAN" and quit_log.interrupt_page == "OCR document capture page"
    assert (passed_log.verify_status, passed_log.passed, passed_log.sub_code) == ("0", True, "200")
    assert passed_log.finished and passed_log.stopped_at == ""


def test_check_verify_log_needs_the_transactions_own_ids(ekyc_client, opened):
    transaction_id = opened()
    with pytest.raises(EkycBadRequest) as wrong_biz:
        ekyc_client.check_verify_log(merchant_biz_id="another0000000000000000000000000", transaction_id=transaction_id)
    with pytest.raises(EkycBadRequest) as unknown:
        ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id="hks000000000000000000000000000000")
    assert (wrong_biz.value.code, unknown.value.code) == ("InvalidParameter", "TransactionIdInvalid")


def test_check_verify_log_is_a_read_and_is_retried_after_a_dropped_connection(ekyc_client, opened, simulator):
    transaction_id = opened()
    simulator.control.add_fault("drop", "CheckVerifyLog")
    assert ekyc_client.check_verify_log(merchant_biz_id=BIZ, transaction_id=transaction_id).verify_status == "2"
    assert len(simulator.control.calls("CheckVerifyLog")) == 2


def test_what_is_stored_of_a_log_keeps_no_picture():
    ext_info = json.dumps({"faceImg": "AAAA", "step": {"idImage": "BBBB", "kept": 1}})
    result = {"VerifyStatus": "1", "InterruptPageEn": "FACE", "LogInfo": '["a", "b"]', "LogStatisticsInfo": "not json"}
    body = {"RequestId": "R1", "Result": {**result, "ExtInfo": ext_info}}
    stored = VerifyLog.from_response(body).as_stored()
    assert stored["ext_info"] == {"step": {"kept": 1}}
    assert stored["log_info"] == ["a", "b"] and stored["log_statistics"] == "not json"
    assert "AAAA" not in json.dumps(stored) and "BBBB" not in json.dumps(stored)


def test_a_fraud_report_names_the_transaction_as_certify_id(ekyc_client, opened, simulator):
    transaction_id = opened()
    answer = ekyc_client.report_fraud(
        transaction_id=transaction_id, result_code="REJECT", verify_deploy_env="production", ext_params={"a": 1}
    )
    assert answer.success is True and answer.code == "Success"
    [call] = simulator.control.calls("FraudResultCallBack")
    sent = {
        "CertifyId": transaction_id,
        "ResultCode": "REJECT",
        "VerifyDeployEnv": "production",
        "ExtParams": '{"a":1}',
    }
    assert call["params"] == sent


@pytest.mark.parametrize(
    "fields", [{"result_code": "FRAUD"}, {"result_code": "REJECT", "verify_deploy_env": "dev"}, {"result_code": "PASS"}]
)
def test_a_fraud_report_the_provider_would_not_take_is_refused_before_sending(ekyc_client, simulator, fields):
    transaction_id = "" if fields == {"result_code": "PASS"} else "hks0000000000000000000000000000"
    with pytest.raises(ValueError, match=r"TransactionId|ResultCode|VerifyDeployEnv"):
        ekyc_client.report_fraud(transaction_id=transaction_id, **fields)
    assert simulator.control.calls("FraudResultCallBack") == []


@pytest.mark.parametrize("fault", ["drop", "slow"])
def test_a_fraud_report_that_may_have_arrived_is_never_sent_again(make_client, opened, simulator, sleeps, fault):
    """The safety property: FraudResultCallBack is not idempotent. Making it so (idempotent=True) fails this."""
    client = make_client(timeout=(2.0, 0.3), max_retries=2)
    transaction_id = opened()
    simulator.control.add_fault(fault, "FraudResultCallBack", count=3, delay_ms=600)
    with pytest.raises(EkycTransportError) as failed:
        client.report_fraud(transaction_id=transaction_id, result_code="REJECT")
    assert failed.value.request_sent is True
    assert sleeps.waits == []  # no retry was even scheduled
    deadline = time.monotonic() + 5
    while not simulator.control.calls("FraudResultCallBack") and time.monotonic() < deadline:
        time.sleep(0.05)  # a slow call is on record once the simulator has answered it
    assert len(simulator.control.calls("FraudResultCallBack")) == 1


def test_an_export_answers_a_file_or_a_task(ekyc_client, simulator):
    param = '{"StartDate":"2026-11-01 00:00:00 +0000"}'
    now = ekyc_client.download_verify_records(product_type="eKYC", param=param)
    later = ekyc_client.download_verify_records(product_type="eKYC", param=param, download_mode="async")
    assert now.url.startswith(simulator.url + "/_sim/records/") and not now.task_id
    assert later.task_id.startswith("task-") and not later.url
    first, _second = simulator.control.calls("DownloadVerifyRecordIntl")
    assert first["params"] == {
        "ProductType": "eKYC",
        "BizType": "INVOKE_RECORD",
        "DownloadMode": "sync",
        "Param": param,
    }
    assert "url" not in repr(now).lower()  # the signed address stays out of logs


def test_an_export_the_provider_would_not_take_is_refused_before_sending(ekyc_client, simulator):
    for fields in ({"biz_type": "RECORDS"}, {"download_mode": "later"}, {"product_type": ""}):
        with pytest.raises(ValueError, match=r"BizType|DownloadMode|ProductType"):
            ekyc_client.download_verify_records(**{"product_type": "eKYC", **fields})
    assert simulator.control.calls("DownloadVerifyRecordIntl") == []


def test_a_sync_export_is_retried_and_an_async_one_is_not(ekyc_client, simulator):
    simulator.control.add_fault("drop", "DownloadVerifyRecordIntl")
    ekyc_client.download_verify_records(product_type="eKYC")
    simulator.control.add_fault("drop", "DownloadVerifyRecordIntl")
    with pytest.raises(EkycTransportError):
        ekyc_client.download_verify_records(product_type="eKYC", download_mode="async")
    modes = [call["params"]["DownloadMode"] for call in simulator.control.calls("DownloadVerifyRecordIntl")]
    assert modes == ["sync", "sync", "async"]


def _events(kyc: Any, **filters: Any) -> list[Any]:
    return list(KycTransactionEvent.objects.filter(transaction=kyc, **filters).order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_store_verify_log_keeps_where_an_abandoned_flow_stopped(start):
    started = start()
    requests.get(started.transaction_url, timeout=5)
    kyc = records.store_verify_log(started.transaction, source=EventSource.EXPIRY)
    assert kyc.stopped_at == "OCR_SCAN" and kyc.status == started.transaction.status
    assert kyc.verify_log["interrupt_page_en"] == "OCR_SCAN" and kyc.verify_log["verify_error_code"] == "9999"
    [call] = _events(kyc, action="CheckVerifyLog")
    assert (call.kind, call.source, call.code) == (EventKind.PROVIDER_CALL, EventSource.EXPIRY, "Success")
    assert call.request_id == kyc.verify_log["request_id"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT verify_log FROM {KycTransaction._meta.db_table} WHERE id = %s", [kyc.pk])  # noqa: S608
        [column] = cursor.fetchone()
    assert column and "OCR_SCAN" not in str(column)  # encrypted at rest: the column never holds the log in clear


@pytest.mark.django_db(transaction=True)
def test_store_verify_log_records_a_provider_failure_and_changes_nothing(start, simulator):
    kyc = start().transaction
    simulator.control.add_fault("internal_error", "CheckVerifyLog")
    with pytest.raises(ProviderCallFailed) as failed:
        records.store_verify_log(kyc, source=EventSource.EXPIRY)
    assert failed.value.error.code == "InternalError"
    [call] = _events(kyc, action="CheckVerifyLog")
    assert (call.code, call.http_status) == ("InternalError", 500)
    kyc.refresh_from_db()
    assert kyc.stopped_at == "" and kyc.verify_log is None


@pytest.mark.django_db(transaction=True)
def test_store_verify_log_needs_a_transaction_opened_at_the_provider(start, simulator):
    kyc = start().transaction
    KycTransaction.objects.filter(pk=kyc.pk).update(transaction_id=None)
    kyc.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        records.store_verify_log(kyc, source=EventSource.EXPIRY)
    assert (refused.value.field, refused.value.code) == ("transaction_id", "required")
    assert simulator.control.calls("CheckVerifyLog") == []


@pytest.mark.django_db(transaction=True)
def test_a_staff_fraud_report_is_sent_recorded_and_reviewed(start, simulator, django_user_model):
    staff = django_user_model.objects.create_user(username="carol", password="pw", is_staff=True)
    kyc = start().transaction
    answer = records.report_fraud(kyc, staff=staff, result_code="REJECT")
    assert answer.success is True
    [sent] = simulator.control.calls("FraudResultCallBack")
    assert sent["params"]["CertifyId"] == kyc.transaction_id and sent["params"]["ResultCode"] == "REJECT"
    [call] = _events(kyc, kind=EventKind.PROVIDER_CALL, action="FraudResultCallBack")
    [review] = _events(kyc, kind=EventKind.REVIEW)
    assert (call.source, call.code, review.source, review.code) == ("admin", "Success", "admin", "fraud_reported")
    assert f"carol (id {staff.pk}) reported ResultCode=REJECT" in review.message
    assert "Success=true" in review.message and review.request_id == answer.request_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"result_code": "fraud"}, "result_code", "invalid_choice"),
        ({"result_code": "REJECT", "verify_deploy_env": "test"}, "verify_deploy_env", "invalid_choice"),
        ({"result_code": "REJECT", "ext_params": ["a"]}, "ext_params", "invalid_json_option"),
        ({"result_code": "REJECT", "ext_params": {"a": object()}}, "ext_params", "invalid_json_option"),
    ],
)
def test_a_bad_fraud_report_is_refused_before_any_call(start, simulator, user, fields, field, code):
    kyc = start().transaction
    with pytest.raises(InvalidInput) as refused:
        records.report_fraud(kyc, staff=user, **fields)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert simulator.control.calls("FraudResultCallBack") == []
    assert _events(kyc, action="FraudResultCallBack") == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_fraud_report_is_on_record_and_sent_once(start, simulator, user):
    kyc = start().transaction
    simulator.control.add_fault("drop", "FraudResultCallBack", count=3)
    with pytest.raises(ProviderCallFailed):
        records.report_fraud(kyc, staff=user, result_code="REJECT")
    assert len(simulator.control.calls("FraudResultCallBack")) == 1
    [call] = _events(kyc, kind=EventKind.PROVIDER_CALL, action="FraudResultCallBack")
    [review] = _events(kyc, kind=EventKind.REVIEW)
    assert call.code == "EkycTransportError" and review.code == "fraud_report_failed"
    assert f"alice (id {user.pk})" in review.message


def test_the_command_writes_the_providers_answer_for_a_period(simulator, settings):
    settings.TIME_ZONE = "Asia/Hong_Kong"
    out = StringIO()
    call_command(
        "ekyc_download_records", "--product", "eKYC", "--start", "2026-11-01", "--end", "2026-11-30", stdout=out
    )
    answer = json.loads(out.getvalue())
    assert answer["url"].startswith(simulator.url) and answer["request_id"]
    [call] = simulator.control.calls("DownloadVerifyRecordIntl")
    param = json.loads(call["params"]["Param"])
    assert param == {"StartDate": "2026-11-01 00:00:00 +0800", "EndDate": "2026-11-30 23:59:59 +0800"}


def test_the_command_writes_to_a_file_and_takes_keys_of_its_own(simulator, tmp_path):
    target = tmp_path / "answer.json"
    own = '{"EndDate": "x", "SceneIdList": [1]}'
    call_command(
        "ekyc_download_records", "--product", "FACE_IDU", "--start", "2026-11-01", "--param", own,
        "--mode", "async", "--output", str(target), stdout=StringIO(),
    )  # fmt: skip
    answer = json.loads(target.read_text())
    assert answer["task_id"].startswith("task-") and answer["param"]["EndDate"] == "x"
    assert answer["param"]["SceneIdList"] == [1] and answer["param"]["StartDate"].startswith("2026-11-01")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--product", "NOPE", "--start", "2026-11-01"], "Unknown product"),
        (["--product", "eKYC", "--start", "2026-11-02", "--end", "2026-11-01"], "before"),
        (["--product", "eKYC", "--start", "1 Nov"], "not a date"),
        (["--product", "eKYC"], "period"),
        (["--product", "eKYC", "--param", "[1]"], "JSON object"),
        (["--product", "eKYC", "--start", "2026-11-01", "--biz-type", "ALL"], "BizType"),
        (["--product", "eKYC", "--start", "2026-11-01", "--fetch"], "--output"),
    ],
)
def test_the_command_refuses_bad_input_before_any_call(simulator, arguments, says):
    with pytest.raises(CommandError, match=says):
        call_command("ekyc_download_records", *arguments, stdout=StringIO())
    assert simulator.control.calls("DownloadVerifyRecordIntl") == []


def test_the_command_reports_a_provider_failure_without_the_secret(simulator):
    simulator.control.add_fault("error", "DownloadVerifyRecordIntl", code="Forbidden.RAMUserAccessDenied", status=403)
    with pytest.raises(CommandError) as failed:
        call_command("ekyc_download_records", "--product", "eKYC", "--start", "2026-11-01", stdout=StringIO())
    assert "Forbidden.RAMUserAccessDenied" in str(failed.value)
    assert simulator.access_key_secret not in str(failed.value)


def test_fetch_fails_clearly_when_the_file_is_not_there(simulator, tmp_path):
    """The simulator serves no export: the download answers 404, said without the signed address."""
    with pytest.raises(CommandError, match="HTTP 404") as failed:
        call_command(
            "ekyc_download_records", "--product", "eKYC", "--start", "2026-11-01", "--fetch",
            "--output", str(tmp_path / "records.csv"), stdout=StringIO(),
        )  # fmt: skip
    assert "/_sim/records/" not in str(failed.value)


class _Export(http.server.BaseHTTPRequestHandler):
    body = b"TransactionId,Passed\nhks1,Y\n"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_fetch_export_writes_the_file_it_downloads(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Export)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        target = tmp_path / "records.csv"
        assert fetch_export(f"http://127.0.0.1:{server.server_port}/records.csv", target) == len(_Export.body)
        assert target.read_bytes() == _Export.body
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
