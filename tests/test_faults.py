"""The fault matrix: every entry point against every provider fault, over real HTTP with the simulator.

Each cell must end in a documented answer, a consistent transaction, a history row naming the fault,
and never an HTTP 500 or a lost row.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import override_settings

from django_ekyc import services
from django_ekyc.models import EventKind, KycTransaction, Status
from django_ekyc.services import ledger

from .helpers import LIST_URL, SHOP, callback_token, return_path, shop_url, start_body

pytestmark = pytest.mark.django_db(transaction=True)

# fault name -> (simulator fault, code recorded in the history, API status, API code)
# "throttled" asks for no wait (retry_after 0): the client then backs off by RETRY_BACKOFF instead of the
# default second the simulator asks for; these tests check the answer, not the wait (test_client does).
FAULTS = {
    "timeout": ({"fault": "slow", "delay_ms": 1500, "count": -1}, "EkycTimeout", 503, "provider_unreachable"),
    "dropped": ({"fault": "drop", "count": -1}, "EkycTransportError", 503, "provider_unreachable"),
    "throttled": ({"fault": "throttle", "count": -1, "retry_after": 0}, "Throttling.Api", 503, "provider_throttled"),
    "internal_error": ({"fault": "internal_error", "count": -1}, "InternalError", 502, "provider_error"),
    "unavailable": ({"fault": "unavailable", "count": -1}, "ServiceUnavailable", 503, "provider_unavailable"),
    "malformed": ({"fault": "malformed", "count": -1}, "EkycMalformedResponse", 502, "provider_error"),
    "signature_refused": (
        {"fault": "error", "code": "SignatureDoesNotMatch", "status": 400, "count": -1},
        "SignatureDoesNotMatch",
        502,
        "provider_auth_failed",
    ),
    "transaction_invalid": (
        {"fault": "error", "code": "TransactionIdInvalid", "status": 400, "count": -1},
        "TransactionIdInvalid",
        502,
        "provider_rejected",
    ),
}


@pytest.fixture(autouse=True)
def _short_timeouts(simulator):
    with override_settings(EKYC=simulator.ekyc_settings(TIMEOUT=(2.0, 0.3), RETRY_BACKOFF=0.01)):
        yield


@pytest.fixture
def started(api_start, simulator) -> tuple[KycTransaction, dict[str, str]]:
    """A transaction the user finished but the site has not asked about yet, with its Initialize params;
    started on https so that a callback token is issued."""
    kyc, params = api_start(base_url=SHOP)
    simulator.control.complete(kyc.transaction_id, "pass")
    return kyc, params


def fault_events(kyc: KycTransaction, action: str, code: str) -> int:
    return kyc.events.filter(kind=EventKind.PROVIDER_CALL, action=action, code=code).count()


@pytest.mark.parametrize("name", list(FAULTS))
def test_initialize_faults(api, simulator, name):
    fault, recorded, status, code = FAULTS[name]
    simulator.control.add_fault(action="Initialize", **fault)
    response = api.post(LIST_URL, start_body(), format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    kyc = KycTransaction.objects.get()  # saved before the call, never lost
    assert response.json()["transaction"]["id"] == str(kyc.public_id)
    assert (kyc.status, kyc.error_code, kyc.transaction_id) == (Status.ERROR, recorded, None)
    assert fault_events(kyc, "Initialize", recorded) == 1
    assert kyc.events.filter(kind=EventKind.STATE_CHANGE, to_status=Status.ERROR, code=recorded).count() == 1


@pytest.mark.parametrize("name", list(FAULTS))
def test_check_result_faults_on_refresh(api, simulator, started, name):
    fault, recorded, status, code = FAULTS[name]
    kyc, _ = started
    simulator.control.add_fault(action="CheckResult", **fault)
    response = api.post(f"/ekyc/api/transactions/{kyc.public_id}/refresh/")
    kyc.refresh_from_db()
    assert fault_events(kyc, "CheckResult", recorded) == 1
    if name == "transaction_invalid":  # the provider no longer knows it: a final answer, not a fault
        assert response.status_code == 200 and response.json()["status"] == "expired"
        assert kyc.status == Status.EXPIRED
        return
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["transaction"]["status"] == "initialized" == kyc.status


@pytest.mark.parametrize("name", list(FAULTS))
def test_check_result_faults_on_return(client, simulator, started, name):
    fault, recorded, _status, _code = FAULTS[name]
    kyc, params = started
    simulator.control.add_fault(action="CheckResult", **fault)
    response = client.get(return_path(params))
    assert response.status_code == 200  # the user always gets a page
    kyc.refresh_from_db()
    expected = Status.EXPIRED if name == "transaction_invalid" else Status.INITIALIZED
    assert kyc.status == expected
    assert f'data-status="{expected}"' in response.content.decode()
    assert fault_events(kyc, "CheckResult", recorded) == 1


@pytest.mark.parametrize("name", list(FAULTS))
def test_check_result_faults_on_callback(client, simulator, started, name):
    fault, recorded, _status, _code = FAULTS[name]
    kyc, params = started
    simulator.control.add_fault(action="CheckResult", **fault)
    response = client.get(
        "/ekyc/callback/", {"transactionId": kyc.transaction_id, "callbackToken": callback_token(params)}
    )
    kyc.refresh_from_db()
    assert fault_events(kyc, "CheckResult", recorded) == 1
    if name == "transaction_invalid":
        assert (response.status_code, response.json()["status"], kyc.status) == (200, "expired", Status.EXPIRED)
        return
    assert (response.status_code, response.json()["code"]) == (503, "provider_unavailable")
    assert kyc.status == Status.INITIALIZED


def test_a_database_error_mid_start_leaves_no_half_written_transaction(start, simulator, monkeypatch):
    def failing_change(kyc, call, change):  # the move's history rows (the call's and the move's) fail to insert
        raise DatabaseError("disk full")

    monkeypatch.setattr(ledger, "_write_change", failing_change)
    with pytest.raises(DatabaseError):
        start(build_url=shop_url)
    kyc = KycTransaction.objects.get()
    # The state change and its history row went together or not at all: still "created", no provider id.
    assert (kyc.status, kyc.transaction_id) == (Status.CREATED, None)
    assert list(kyc.events.values_list("kind", "action", "code")) == [
        (EventKind.PROVIDER_CALL, "Initialize", "Success")
    ]
    # and the expiry job closes such an attempt
    kyc.created_at = kyc.created_at.replace(year=kyc.created_at.year - 1)
    kyc.save(update_fields=["created_at"])
    monkeypatch.undo()
    assert services.expire_stale() == 1
    kyc.refresh_from_db()
    assert (kyc.status, kyc.error_code) == (Status.ERROR, "abandoned")
