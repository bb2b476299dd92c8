"""The state ledger's promises: signals only on commit, provider strings that fit their columns, a gate on
user-prompted checks, and every result field kept."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from django_ekyc import services
from django_ekyc.models import EventKind, KycTransaction, KycTransactionEvent, Status

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_started_signal_waits_for_the_commit(start, simulator, started_signals):
    with transaction.atomic():
        kyc = start().transaction
        assert started_signals.calls == []  # inside the caller's transaction: not yet
    assert [call["transaction"].pk for call in started_signals.calls] == [kyc.pk]


def test_completed_signal_waits_for_the_commit_and_is_dropped_on_rollback(start, simulator, completed_signals):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")

    def refresh_then_fail() -> None:
        with transaction.atomic():
            services.refresh(kyc, source="sync")
            assert completed_signals.calls == []
            raise Boom  # the caller's transaction rolls back: the completion never happened

    with pytest.raises(Boom):
        refresh_then_fail()
    assert completed_signals.calls == []
    assert KycTransaction.objects.get(pk=kyc.pk).status == Status.INITIALIZED
    with transaction.atomic():
        services.refresh(kyc, source="sync")
        assert completed_signals.calls == []
    assert [call["passed"] for call in completed_signals.calls] == [True]


def test_overlong_provider_strings_are_cut_to_their_columns(start, simulator):
    code, request_id = "E" * 300, "R" * 200
    simulator.control.add_fault("error", action="Initialize", code=code, status=400, message="m" * 900)
    with pytest.raises(services.ProviderCallFailed):
        start()
    kyc = KycTransaction.objects.get()
    assert kyc.status == Status.ERROR and kyc.error_code == code[:64]
    call = kyc.events.get(kind=EventKind.PROVIDER_CALL)
    assert (call.code, len(call.message)) == (code[:64], 500)
    assert kyc.events.get(kind=EventKind.STATE_CHANGE).code == code[:64]
    assert request_id  # the simulator's request ids are short; the ledger's own limit is checked below
    fitted = services.fit_columns(KycTransactionEvent, {"request_id": request_id, "code": "ok", "duration_ms": 5})
    assert fitted == {"request_id": request_id[:64], "code": "ok", "duration_ms": 5}


def test_overlong_codes_on_refresh_keep_the_history(start, simulator):
    kyc = start().transaction
    simulator.control.add_fault("error", action="CheckResult", code="X" * 300, status=500)
    with pytest.raises(services.ProviderCallFailed):
        services.refresh(kyc)
    assert kyc.events.filter(action="CheckResult", code="X" * 64).count() == 1


def test_an_overlong_transaction_id_is_a_malformed_answer(start, simulator, monkeypatch):
    from django_ekyc.simulator import state

    monkeypatch.setattr(state, "new_transaction_id", lambda: "hks" + "0" * 100)
    with pytest.raises(services.ProviderCallFailed) as caught:
        start()
    assert caught.value.error.code is not None or caught.value.error.status == 200
    kyc = KycTransaction.objects.get()
    assert (kyc.status, kyc.transaction_id, kyc.error_code) == (Status.ERROR, None, "Success")


def test_every_result_field_is_kept_without_images(start, simulator):
    with override_settings(EKYC=simulator.ekyc_settings(INITIALIZE_DEFAULTS={"Authorize": "T"})):
        kyc = start(doc_type="00000001").transaction
        simulator.control.complete(kyc.transaction_id, "pass")
        kyc = services.refresh(kyc)
    assert set(kyc.result) == {
        "ext_id_info",
        "ext_face_info",
        "ext_basic_info",
        "ext_risk_info",
        "ext_info",
        "ext_source_info",
        "ekyc_result",
    }
    assert "Image" not in str(kyc.result) and "faceImg" not in str(kyc.result)


# -- the gate on user-prompted checks ----------------------------------------------------------------


@pytest.fixture
def gated(simulator):
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=60)):
        yield


@pytest.mark.usefixtures("gated")
@pytest.mark.parametrize("source", ["api", "return"])
def test_user_prompted_checks_ask_the_provider_once_per_interval(start, simulator, source):
    kyc = start().transaction
    for _ in range(20):
        assert services.refresh(kyc, source=source).status == Status.INITIALIZED
    assert len(simulator.control.calls("CheckResult")) == 1
    assert kyc.events.filter(action="CheckResult").count() == 1  # no history row per refused ask


@pytest.mark.usefixtures("gated")
def test_the_callback_and_sync_are_not_gated(start, simulator):
    kyc = start().transaction
    services.refresh(kyc, source="api")
    simulator.control.complete(kyc.transaction_id, "pass")
    assert services.refresh(kyc, source="return").status == Status.INITIALIZED  # within the interval
    assert services.refresh(kyc, source="callback").status == Status.PASSED
    assert len(simulator.control.calls("CheckResult")) == 2


@pytest.mark.usefixtures("gated")
def test_the_gate_opens_again_after_the_interval(start, simulator):
    kyc = start().transaction
    services.refresh(kyc, source="api")
    simulator.control.complete(kyc.transaction_id, "pass")
    KycTransaction.objects.filter(pk=kyc.pk).update(last_checked_at=kyc.created_at.replace(year=2020))
    assert services.refresh(kyc, source="api").status == Status.PASSED


def test_a_start_writes_the_attempt_then_the_call_and_the_move_in_one_commit(start, simulator):
    """The attempt is committed alone before the provider is called (no request can lose it); the Initialize on
    record and the move it causes are then one commit of three statements, both history rows in one INSERT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        kyc = start().transaction
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert [verb for verb in statements if verb not in ("BEGIN", "COMMIT")] == [
        "INSERT",  # the attempt, committed alone
        "UPDATE",  # the move, which locks the row and counts the two history rows in the chain's length
        "SELECT",  # the chain's head
        "INSERT",  # both history rows
    ]
    rows = list(kyc.events.order_by("seq").values_list("seq", "kind", "action"))
    assert rows == [(1, EventKind.PROVIDER_CALL, "Initialize"), (2, EventKind.STATE_CHANGE, "")]
