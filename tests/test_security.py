"""Security: ownership, forged and reused tokens, request limits, and secrets kept out of every log line."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from django_ekyc.models import KycTransaction, Status

from .helpers import (
    LIST_URL,
    META_INFO,
    SHOP,
    api_client,
    callback_token,
    initialize_params,
    return_path,
    return_token,
    start_body,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_another_users_transaction_is_404_on_every_route(api_start, simulator, other_user):
    kyc, _ = api_start(base_url=SHOP)
    intruder = api_client(other_user)
    for method, url in [
        ("get", f"{LIST_URL}{kyc.public_id}/"),
        ("post", f"{LIST_URL}{kyc.public_id}/refresh/"),
        ("put", f"{LIST_URL}{kyc.public_id}/"),
        ("delete", f"{LIST_URL}{kyc.public_id}/"),
    ]:
        response = getattr(intruder, method)(url)
        assert response.status_code in (404, 405), (method, url)
        assert response.status_code == 404 or method in ("put", "delete")
    assert intruder.get(LIST_URL).json() == []
    assert simulator.control.calls("CheckResult") == []


def test_forged_or_altered_return_tokens_change_nothing(client, api_start, simulator):
    kyc, params = api_start(base_url=SHOP)
    token = return_token(params)
    simulator.control.complete(kyc.transaction_id, "pass")
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper(), "x" * len(token)):
        assert client.get(f"/ekyc/return/{forged}/").status_code == 404
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED and simulator.control.calls("CheckResult") == []


def test_reused_tokens_do_not_move_a_final_transaction(client, api_start, simulator):
    kyc, params = api_start(base_url=SHOP)
    token = return_token(params)
    simulator.control.complete(kyc.transaction_id, "face_mismatch")
    assert client.get(f"/ekyc/return/{token}/").status_code == 200
    events = kyc.events.count()
    callback = {"transactionId": kyc.transaction_id, "callbackToken": callback_token(params), "passed": "Y"}
    assert client.get("/ekyc/callback/", callback).json()["status"] == "failed"  # the forged "passed" is ignored
    assert client.get(f"/ekyc/return/{token}/").status_code == 200
    kyc.refresh_from_db()
    assert (kyc.status, kyc.events.count()) == (Status.FAILED, events)  # no provider call, no state change
    assert len(simulator.control.calls("CheckResult")) == 1


def test_a_callback_token_of_another_transaction_is_refused(client, api_start):
    first, first_params = api_start(base_url=SHOP)
    second, _ = api_start(base_url=SHOP)
    response = client.get(
        "/ekyc/callback/", {"transactionId": second.transaction_id, "callbackToken": callback_token(first_params)}
    )
    assert response.status_code == 403
    assert second.events.count() == 2 and first.events.count() == 2


def test_oversized_bodies_are_refused_before_parsing(api, simulator):
    big = start_body(padding="x" * 70_000)
    response = api.post(LIST_URL, big, format="json")
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert KycTransaction.objects.count() == 0 and simulator.control.calls() == []


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def every_log_line():
    capture = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in ("django_ekyc", "django_ekyc.client", "django_ekyc.simulator", "django.request", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(previous)


def test_no_secret_token_or_identity_data_reaches_the_logs(every_log_line, client, api, simulator, live_server):
    """Run every flow, faults included, with all loggers at DEBUG, then search everything they wrote."""
    secrets_seen: set[str] = {simulator.access_key_secret}
    # happy path, return and callback (over real HTTP to the live server)
    with override_settings(EKYC=simulator.ekyc_settings(PUBLIC_BASE_URL=live_server.url)):
        created = api.post(LIST_URL, start_body(doc_type="00000001"), format="json").json()
        params = initialize_params(simulator)
        kyc = KycTransaction.objects.get(public_id=created["id"])
        simulator.control.complete(kyc.transaction_id, "pass")
        client.get(return_path(params))
        secrets_seen |= {
            callback_token(params),
            return_token(params),
            created["transaction_url"].rsplit("=", 1)[1],
            META_INFO,
        }
    kyc.refresh_from_db()
    ocr = kyc.result["ext_id_info"]["ocrIdInfo"]
    secrets_seen |= {ocr["name"], ocr["idNumber"], ocr["address"]}
    # faults and refusals
    for fault in ("internal_error", "drop", "malformed", "throttle"):
        simulator.control.add_fault(fault, action="Initialize", count=-1, retry_after=0)  # throttle: no real wait
        api.post(LIST_URL, start_body(), format="json")
        simulator.control.clear_faults()
    with override_settings(EKYC=simulator.ekyc_settings(ACCESS_KEY_SECRET="another-secret-value")):
        api.post(LIST_URL, start_body(), format="json")
    secrets_seen.add("another-secret-value")
    client.get("/ekyc/callback/", {"transactionId": kyc.transaction_id, "callbackToken": "forged-token-value"})
    secrets_seen.add("forged-token-value")

    text = "\n".join(every_log_line.lines)
    assert "Initialize" in text and "CheckResult" in text  # the flows did log
    leaked = sorted(value for value in secrets_seen if value and value in text)
    assert leaked == []
