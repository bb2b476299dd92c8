"""Background sync: due transactions refreshed with backoff, stale ones expired, once per transaction across hosts."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
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
    assert report.as_dict() == {
        "checked": 2,
        "completed": 1,
        "still_waiting": 1,
        "provider_failures": 0,
        "expired": 0,
        "deferred": 0,
        "faces_registered": 0,
        "reference_conflicts": 0,
        "duplicates_found": 0,
        "face_failures": 0,
        "faces_deleted": 0,
        "deepfakes_screened": 0,
        "days_summarised": 0,  # every row is from today: no day is final yet
    }
    finished.refresh_from_db()
    assert finished.status == Status.PASSED
    assert finished.events.filter(source="sync", action="CheckResult").exists()
    assert len(completed_signals.calls) == 1
    waiting.refresh_from_db()
    assert waiting.status == Status.INITIALIZED and waiting.check_attempts == 1


def test_backoff_doubles_up_to_the_maximum(start, simulator):
    with override_settings(EKYC=simulator.ekyc_settings(SYNC_INTERVAL=60, SYNC_BACKOFF=2, COMPLETION_WINDOW=10**6)):
        backoff(start)


def backoff(start: Callable[..., Any]) -> None:
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


# -- spending calls where they pay -----------------------------------------------------------------------


def run_passes(kyc: KycTransaction, moments: Iterable[int]) -> None:
    """Sync passes at the given moments (seconds after the start), as a scheduler would run them."""
    for seconds in moments:
        services.sync_waiting(now=kyc.created_at + timedelta(seconds=seconds))


def test_the_first_check_waits_for_a_person_to_finish(start, simulator):
    kyc = start().transaction
    assert (kyc.next_check_at - kyc.created_at).total_seconds() == pytest.approx(420, abs=2)  # SYNC_INTERVAL
    run_passes(kyc, range(0, 420, 30))
    assert simulator.control.calls("CheckResult") == []


def test_an_abandoned_transaction_is_checked_a_few_times_then_expired(start, simulator):
    """No callback, nobody back: checks at 7 and 21 minutes, a last one when the provider's 30 minutes are over,
    and no more: it is expired, not asked about for a day."""
    kyc = start().transaction
    run_passes(kyc, range(0, 24 * 3600, 60))  # a pass every minute for a day
    kyc.refresh_from_db()
    assert (kyc.status, kyc.error_code) == (Status.EXPIRED, "not_completed")
    checks = simulator.control.calls("CheckResult")
    assert len(checks) == 3 and len(checks) <= 8
    assert kyc.events.count() == 2 + 3 + 1 + 1  # start, three checks, the expiry, where the user stopped
    assert len(simulator.control.calls("CheckVerifyLog")) == 1 and kyc.stopped_at == "LOADING"  # never opened


def test_a_transaction_completed_before_its_first_check_costs_one_call(start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    run_passes(kyc, range(0, 3600, 60))
    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED and len(simulator.control.calls("CheckResult")) == 1


def test_rows_settled_by_a_return_or_a_callback_are_not_checked(start, simulator):
    kyc = start().transaction
    simulator.control.complete(kyc.transaction_id, "pass")
    services.refresh(kyc, source="callback")
    run_passes(kyc, range(0, 3600, 60))
    assert len(simulator.control.calls("CheckResult")) == 1  # the callback's only


def test_a_pass_reads_the_rows_once(start, simulator):
    """Five reads whatever the number of rows (whether any row is stale, the claim of unscheduled and of due
    ids, the claimed rows, the face deletions still to confirm),
    and four for the operator's day summaries (nothing to summarise today); no row is read again to be checked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        start()
    due_now()
    with CaptureQueriesContext(connection) as queries:
        assert services.sync_waiting().checked == 5
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    links = [sql for sql in selects if ' AS "prev" ' in sql]  # the history chain's head, read to extend it
    reads = [sql for sql in selects if sql not in links]
    assert len(reads) == 5 + 4
    # per row: the CheckResult on record (in one transaction: its chain's lock, head and row), and its next check
    assert len(links) == 5
    assert len(queries.captured_queries) - len(reads) - len(links) <= 4 + 5 * 5


def test_sync_yields_the_quota_to_users_and_hands_the_rest_to_the_next_pass(start, simulator):
    for _ in range(4):
        start()
    due_now()
    with override_settings(
        EKYC=simulator.ekyc_settings(
            RATE_LIMIT=2, RATE_LIMIT_BACKGROUND_SHARE=0.5, RATE_LIMIT_BACKGROUND_MAX_WAIT=0, REFRESH_MIN_INTERVAL=0
        )
    ):
        report = services.sync_waiting()
    assert (report.checked, report.deferred) == (1, 3)  # one background call a second at 2/s and half
    assert KycTransaction.objects.filter(next_check_at__lte=timezone.now()).count() == 3  # due for the next pass
    assert not KycTransaction.objects.filter(events__code="RateLimited.Local").exists()  # nothing was sent


def test_the_stale_expiry_works_a_batch_at_a_time(start, simulator, monkeypatch):
    """Statements per batch, not per row; every row closed with its chained history row; abandoned attempts
    (never initialised) become errors."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_ekyc.models import KycTransactionEvent
    from django_ekyc.services import ledger_batch

    monkeypatch.setattr(ledger_batch, "BATCH", 3)
    waiting = [start().transaction for _ in range(7)]
    KycTransaction.objects.filter(pk=waiting[0].pk).update(status=Status.CREATED)
    KycTransaction.objects.update(created_at=timezone.now() - timedelta(days=2))
    with CaptureQueriesContext(connection) as queries:
        assert services.expire_stale() == 7
    updates = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    state_updates = [sql for sql in updates if '"status" =' in sql.split("WHERE")[0]]
    assert len(state_updates) == 1 + 2  # the abandoned one's batch, then 6 expiring in batches of 3
    statuses = dict(KycTransaction.objects.values_list("pk", "status"))
    assert statuses[waiting[0].pk] == Status.ERROR
    assert all(statuses[kyc.pk] == Status.EXPIRED for kyc in waiting[1:])
    for kyc in waiting:
        moved = KycTransactionEvent.objects.get(transaction=kyc, kind="state_change", source="expiry")
        assert moved.seq == KycTransaction.objects.get(pk=kyc.pk).history_seq  # the chain's last link
    assert services.expire_stale() == 0
