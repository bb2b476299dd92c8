"""Background sync: due transactions refreshed with backoff, stale ones expired, once per transaction across hosts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_ekyc import services
from django_ekyc.models import KycTransaction, Status
from django_ekyc.services import ledger

pytestmark = pytest.mark.django_db(transaction=True)


def due_now() -> None:
    KycTransaction.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))


def test_only_due_transactions_are_checked(start, simulator):
    kyc = start().transaction
    assert kyc.next_check_at > timezone.now()  # the first check waits SYNC_INTERVAL
    assert services.sync_waiting().checked == 0
    assert simulator.control.calls("CheckResult") == []


def test_sync_completes_finished_transactions(start, simulator, completed_signals):
    finished = start().transaction
    waiting = start().transaction
    simulator.control.complete(finished.transaction_id, "pass")
    due_now()
    report = services.sync_waiting()
    assert report.as_dict() == {"checked": 2, "completed": 1, "still_waiting": 1, "provider_failures": 0, "expired": 0}
    finished.refresh_from_db()
    assert finished.status == Status.PASSED
    assert finished.events.filter(source="sync", action="CheckResult").exists()
    assert len(completed_signals.calls) == 1
    waiting.refresh_from_db()
    assert waiting.status == Status.INITIALIZED and waiting.check_attempts == 1


def test_backoff_doubles_up_to_the_maximum(start, simulator, settings):
    kyc = start().transaction
    now = timezone.now()
    delays = []
    for _ in range(8):
        KycTransaction.objects.filter(pk=kyc.pk).update(next_check_at=now)
        services.sync_waiting(now=now)
        kyc.refresh_from_db()
        delays.append(int((kyc.next_check_at - now).total_seconds()))
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_provider_failures_are_counted_and_retried_later(start, simulator):
    kyc = start().transaction
    due_now()
    simulator.control.add_fault("internal_error", action="CheckResult", count=-1)
    report = services.sync_waiting()
    assert (report.checked, report.provider_failures, report.still_waiting) == (1, 1, 1)
    kyc.refresh_from_db()
    assert kyc.status == Status.INITIALIZED and kyc.next_check_at > timezone.now()


def test_stale_transactions_expire(start, simulator):
    kyc = start().transaction
    KycTransaction.objects.update(created_at=timezone.now() - timedelta(days=3))
    assert services.sync_waiting().expired == 1
    kyc.refresh_from_db()
    assert kyc.status == Status.EXPIRED


def test_a_claimed_transaction_is_not_claimed_again(start, simulator):
    start()
    due_now()
    now = timezone.now()
    first = ledger.claim_due(10, now, services.CLAIM_LEASE)
    assert len(first) == 1
    assert ledger.claim_due(10, now, services.CLAIM_LEASE) == []  # leased to the first claimer
    assert len(ledger.claim_due(10, now + services.CLAIM_LEASE + timedelta(seconds=1), services.CLAIM_LEASE)) == 1


def test_batch_size_bounds_a_pass(start, simulator):
    for _ in range(3):
        start()
    due_now()
    assert services.sync_waiting(batch_size=2).checked == 2
    assert services.sync_waiting(batch_size=2).checked == 1


def test_command(start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "face_mismatch")
    due_now()
    out = io.StringIO()
    call_command("ekyc_sync", stdout=out)
    assert "Checked 1: 1 completed, 0 still waiting, 0 provider failure(s); expired 0." in out.getvalue()


def test_task_runs_through_the_sites_task_backend(start, simulator):
    from django_ekyc.tasks import sync_waiting_transactions

    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    due_now()
    result = sync_waiting_transactions.enqueue(batch_size=10)  # the default backend runs it at once
    assert result.return_value["completed"] == 1
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED
