"""A return, a callback and refreshes racing for one transaction complete it exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from django_ekyc import services
from django_ekyc.models import EventKind, KycTransaction, Status

from .helpers import callback_token, initialize_params, return_token, shop_url

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(tasks: list[Callable[[], object]]) -> list[BaseException]:
    """Start every task at the same moment in its own thread; return what they raised."""
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def worker(task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            task()
        except BaseException as err:  # reported to the test
            errors.append(err)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_racing_return_callback_and_refreshes_complete_once(start, simulator, completed_signals):
    kyc = start(build_url=shop_url).transaction
    params = initialize_params(simulator)
    token = return_token(params)
    simulator.control.complete(kyc.transaction_id, "pass")  # the callback to shop.example goes nowhere

    tasks: list[Callable[[], object]] = []
    for _ in range(4):
        tasks += [
            lambda: services.handle_return(token),
            lambda: services.handle_callback(str(kyc.transaction_id), callback_token(params)),
            lambda: services.refresh(kyc),
        ]
    assert run_together(tasks) == []

    kyc.refresh_from_db()
    assert kyc.status == Status.PASSED
    changes = kyc.events.filter(kind=EventKind.STATE_CHANGE, to_status=Status.PASSED)
    assert changes.count() == 1
    assert len(completed_signals.calls) == 1
    assert completed_signals.calls[0]["transaction"].pk == kyc.pk


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_concurrent_starts_by_one_user_are_separate_attempts(start, simulator, user):
    """Documented behaviour: every start is its own attempt; the start throttle bounds how many."""
    results: list[services.Started] = []

    def start_one() -> None:
        results.append(start(build_url=shop_url))

    assert run_together([start_one] * 4) == []
    rows = KycTransaction.objects.filter(user=user)
    assert len(results) == 4 and rows.count() == 4
    assert {row.status for row in rows} == {Status.INITIALIZED}
    assert len({row.merchant_biz_id for row in rows}) == 4 and len({row.transaction_id for row in rows}) == 4


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_sync_passes_on_several_hosts_check_each_transaction_once(start, simulator):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(12):
        start()
    KycTransaction.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    reports: list[services.SyncReport] = []
    assert run_together([lambda: reports.append(services.sync_waiting(batch_size=5)) for _ in range(6)]) == []
    assert sum(report.checked for report in reports) == 12
    assert len(simulator.control.calls("CheckResult")) == 12  # nobody checked a transaction twice


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_racing_user_refreshes_spend_one_provider_call(start, simulator):
    from django.test import override_settings

    kyc = start().transaction
    with override_settings(EKYC=simulator.ekyc_settings(REFRESH_MIN_INTERVAL=60)):
        tasks: list[Callable[[], object]] = [lambda: services.refresh(kyc, source="api") for _ in range(24)]
        assert run_together(tasks) == []
    assert len(simulator.control.calls("CheckResult")) == 1
    assert kyc.events.filter(action="CheckResult").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_racing_completions_search_the_face_library_once_and_flag_once(start, simulator, user, other_user):
    from django.conf import settings
    from django.test import override_settings

    from django_ekyc.models import DuplicateMatch, FaceStatus
    from django_ekyc.services import faces
    from django_ekyc.signals import duplicate_person_found

    simulator.control.create_face_group("racegroup")
    found: list[object] = []

    def record(sender: object, **kwargs: object) -> None:
        found.append(kwargs["transaction"])

    duplicate_person_found.connect(record)
    try:
        with override_settings(EKYC={**settings.EKYC, "FACE_LIBRARY": "racegroup"}):
            first = start().transaction
            simulator.control.complete(first.transaction_id, "pass", person="alice")
            services.refresh(first)
            faces.settle_pending_faces()  # alice's face is registered (the worker's job, after the request)
            second = start(other_user, build_url=shop_url).transaction
            params = initialize_params(simulator)
            simulator.control.complete(second.transaction_id, "pass", person="alice")
            completions: list[Callable[[], object]] = []
            for _ in range(3):
                completions += [lambda: services.handle_return(return_token(params)), lambda: services.refresh(second)]
            assert run_together(completions) == []
            # The face work, raced by the sync passes and tasks of several hosts.
            settlements: list[Callable[[], object]] = [lambda: faces.settle_pending_faces() for _ in range(3)]
            settlements += [lambda: faces.settle_face(second, source="sync") for _ in range(3)]
            assert run_together(settlements) == []
    finally:
        duplicate_person_found.disconnect(record)
    second.refresh_from_db()
    assert second.face_status == FaceStatus.DUPLICATE
    assert len(simulator.control.calls("FaceVerifyIntl")) == 2  # one per verification
    assert [kyc.pk for kyc in found] == [second.pk]  # type: ignore[attr-defined]
    assert DuplicateMatch.objects.filter(transaction=second).count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
def test_hosts_expiring_together_close_each_stale_row_once(start, simulator, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from django_ekyc.services import ledger_batch

    monkeypatch.setattr(ledger_batch, "BATCH", 2)  # many small batches: the hosts' batches interleave
    rows = [start(build_url=shop_url).transaction for _ in range(9)]
    KycTransaction.objects.update(created_at=timezone.now() - timedelta(days=2))
    closed: list[int] = []
    assert run_together([lambda: closed.append(services.expire_stale())] * 4) == []
    assert sum(closed) == 9
    for kyc in rows:
        assert kyc.events.filter(kind=EventKind.STATE_CHANGE, to_status=Status.EXPIRED).count() == 1


def wait_until_someone_waits_for_a_lock(timeout: float = 20.0) -> None:
    """Until another backend of this database waits for a row lock (PostgreSQL)."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks is read live (pg_stat_activity is a snapshot, frozen for the rest of a transaction)
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("nobody waited for the lock")


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; run with DATABASE_URL=postgres")
@pytest.mark.parametrize("purge", ["identity", "records"])
def test_a_hold_committed_while_a_purge_waits_for_its_row_stops_the_purge(start, finish, simulator, user, purge):
    """The hold's transaction locks the verification (its history row); the purge's batch waits for that lock, and
    must see the hold once it has it (a snapshot taken before the wait would not)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from django_ekyc.services import ledger_batch, ledger_purge

    kyc = finish(start(build_url=shop_url).transaction)
    staff = get_user_model().objects.create_user("keeper", is_staff=True)
    outcome: list[object] = []
    placed = threading.Event()

    def hold() -> None:
        with transaction.atomic():
            services.place_hold(staff=staff, reason="investigation", verification=kyc)
            placed.set()  # the row is locked by this uncommitted transaction
            wait_until_someone_waits_for_a_lock()  # the purge is blocked behind it: now commit

    def purge_it() -> None:
        assert placed.wait(timeout=30)
        if purge == "identity":
            outcome.append(ledger_batch.purge_results([kyc.pk], "retention"))
        else:
            outcome.append(ledger_purge.delete_records(KycTransaction.objects.filter(pk=kyc.pk)))

    assert run_together([hold, purge_it]) == []
    assert outcome in ([[]], [0])
    assert KycTransaction.objects.get(pk=kyc.pk).result is not None
