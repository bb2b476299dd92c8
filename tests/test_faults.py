"""The fault matrix: every entry point against every provider fault, over real HTTP with the simulator.

Each cell must end in a documented answer, a consistent transaction, a history row naming the fault,
and never an HTTP 500 or a lost row.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError
from django.test import override_settings
from rest_framework.test import APIClient

from django_ekyc import services
from django_ekyc.models import EventKind, KycTransaction, Status
from django_ekyc.services import ledger

from .conftest import META_INFO

pytestmark = pytest.mark.django_db(transaction=True)

# fault name -> (simulator fault, code recorded in the history, API status, API code)
FAULTS = {
    "timeout": ({"fault": "slow", "delay_ms": 1500, "count": -1}, "EkycTimeout", 503, "provider_unreachable"),
    "dropped": ({"fault": "drop", "count": -1}, "EkycTransportError", 503, "provider_unreachable"),
    "throttled": ({"fault": "throttle", "count": -1}, "Throttling.Api", 503, "provider_throttled"),
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
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def started(api, simulator) -> KycTransaction:
    """A transaction waiting for its result, with its callback URL on https so the token is issued."""
    with override_settings(
        EKYC=simulator.ekyc_settings(TIMEOUT=(2.0, 0.3), RETRY_BACKOFF=0.01, PUBLIC_BASE_URL="https://shop.example")
    ):
        response = api.post("/ekyc/api/transactions/", {"doc_type": "01000000", "meta_info": META_INFO}, format="json")
    assert response.status_code == 201
    kyc = KycTransaction.objects.get(public_id=response.json()["id"])
    simulator.control.complete(kyc.transaction_id, "pass")
    return kyc


def fault_events(kyc: KycTransaction, action: str, code: str) -> int:
    return kyc.events.filter(kind=EventKind.PROVIDER_CALL, action=action, code=code).count()


@pytest.mark.parametrize("name", list(FAULTS))
def test_initialize_faults(api, simulator, name):
    fault, recorded, status, code = FAULTS[name]
    simulator.control.add_fault(action="Initialize", **fault)
    response = api.post("/ekyc/api/transactions/", {"doc_type": "01000000", "meta_info": META_INFO}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    kyc = KycTransaction.objects.get()  # saved before the call, never lost
    assert response.json()["transaction"]["id"] == str(kyc.public_id)
    assert (kyc.status, kyc.error_code, kyc.transaction_id) == (Status.ERROR, recorded, None)
    assert fault_events(kyc, "Initialize", recorded) == 1
    assert kyc.events.filter(kind=EventKind.STATE_CHANGE, to_status=Status.ERROR, code=recorded).count() == 1


@pytest.mark.parametrize("name", list(FAULTS))
def test_check_result_faults_on_refresh(api, simulator, name):
    fault, recorded, status, code = FAULTS[name]
    kyc = started(api, simulator)
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
def test_check_result_faults_on_return(client, api, simulator, name):
    fault, recorded, _status, _code = FAULTS[name]
    kyc = started(api, simulator)
    return_path = urlsplit(simulator.control.calls("Initialize")[0]["params"]["ReturnUrl"]).path
    simulator.control.add_fault(action="CheckResult", **fault)
    response = client.get(return_path)
    assert response.status_code == 200  # the user always gets a page
    kyc.refresh_from_db()
    expected = Status.EXPIRED if name == "transaction_invalid" else Status.INITIALIZED
    assert kyc.status == expected
    assert f'data-status="{expected}"' in response.content.decode()
    assert fault_events(kyc, "CheckResult", recorded) == 1


@pytest.mark.parametrize("name", list(FAULTS))
def test_check_result_faults_on_callback(client, api, simulator, name):
    fault, recorded, _status, _code = FAULTS[name]
    kyc = started(api, simulator)
    token = simulator.control.calls("Initialize")[0]["params"]["CallbackToken"]
    simulator.control.add_fault(action="CheckResult", **fault)
    response = client.get("/ekyc/callback/", {"transactionId": kyc.transaction_id, "callbackToken": token})
    kyc.refresh_from_db()
    assert fault_events(kyc, "CheckResult", recorded) == 1
    if name == "transaction_invalid":
        assert (response.status_code, response.json()["status"], kyc.status) == (200, "expired", Status.EXPIRED)
        return
    assert (response.status_code, response.json()["code"]) == (503, "provider_unavailable")
    assert kyc.status == Status.INITIALIZED


def test_a_database_error_mid_start_leaves_no_half_written_transaction(user, simulator, monkeypatch):
    real_event = ledger.record_event

    def failing_event(kyc, kind, source, started=None, **fields):
        if kind == EventKind.STATE_CHANGE:
            raise DatabaseError("disk full")
        return real_event(kyc, kind, source, started, **fields)

    monkeypatch.setattr(ledger, "record_event", failing_event)
    with pytest.raises(DatabaseError):
        services.start_verification(
            user=user,
            doc_type="01000000",
            meta_info=META_INFO,
            build_url=lambda path: f"https://shop.example{path}",
        )
    kyc = KycTransaction.objects.get()
    # The state change and its history row went together or not at all: still "created", no provider id.
    assert (kyc.status, kyc.transaction_id) == (Status.CREATED, None)
    assert list(kyc.events.values_list("kind", "action", "code")) == [
        (EventKind.PROVIDER_CALL, "Initialize", "Success")
    ]
    # and the expiry job closes such an attempt
    kyc.created_at = kyc.created_at.replace(year=kyc.created_at.year - 1)
    kyc.save(update_fields=["created_at"])
    monkeypatch.setattr(ledger, "record_event", real_event)
    assert services.expire_stale() == 1
    kyc.refresh_from_db()
    assert (kyc.status, kyc.error_code) == (Status.ERROR, "abandoned")
