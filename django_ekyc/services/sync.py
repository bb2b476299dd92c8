"""Background sync: ask about waiting transactions nobody came back for, and expire the stale ones."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone

from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycRateLimited, InvalidInput, ProviderCallFailed
from django_ekyc.models import EventSource, KycTransaction, Status
from django_ekyc.ratelimit import background_calls
from django_ekyc.services import deepfake, face_deletion, faces, ledger, ledger_batch, records, references
from django_ekyc.services.deadlines import COMPLETION_MARGIN, STALE_AFTER_DEADLINE
from django_ekyc.services.flow import refresh
from django_ekyc.services.stats_days import summarise_frozen_days

logger = logging.getLogger("django_ekyc.services")

# What the stale expiry does to each state a row can be left in: (from, to, code).
STALE_MOVES = ((Status.INITIALIZED, Status.EXPIRED, "expired"), (Status.CREATED, Status.ERROR, "abandoned"))
# A claimed transaction is skipped by other hosts for this long, even if its host dies mid-pass.
CLAIM_LEASE = timedelta(minutes=5)
LOAD_CHUNK = 100  # claimed rows held in memory at once


@dataclass
class SyncReport:
    """What one pass of :func:`sync_waiting` did."""

    checked: int = 0
    completed: int = 0
    still_waiting: int = 0
    provider_failures: int = 0
    expired: int = 0
    deferred: int = 0  # claimed, but left to the next pass: the site's rate limit had no slot for background work
    faces_registered: int = 0  # faces that became their user's reference (registered, or the same person)
    duplicates_found: int = 0
    reference_conflicts: int = 0  # faces that are not their user's reference person (or document): for staff
    face_failures: int = 0
    faces_deleted: int = 0  # faces of deleted users or purged verifications, deleted at the provider now
    deepfakes_screened: int = 0  # passed verifications whose face the deepfake screening settled
    days_summarised: int = 0  # days the operator's view will read from their summary from now on

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def expire_stale(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Close attempts left open a day past the provider's deadline (``COMPLETION_WINDOW``) that no sync pass
    could check; safe to run from several hosts at once, and as cheap on a large table as on a small one (a
    batch at a time, on the ``(status, created_at)`` index: :func:`~django_ekyc.services.ledger_batch.close_stale`).

    Waiting transactions become ``expired``; rows still ``created`` (the process died between saving
    the attempt and recording the provider's answer) become ``error`` with code ``abandoned``.
    """
    window = timedelta(seconds=ekyc_settings.COMPLETION_WINDOW) + COMPLETION_MARGIN + STALE_AFTER_DEADLINE
    cutoff = (now or timezone.now()) - (older_than or window)
    states = [from_status for from_status, _to, _code in STALE_MOVES]
    if not KycTransaction.objects.filter(status__in=states, created_at__lt=cutoff).order_by().exists():
        return 0  # the usual pass: one indexed read, no transaction opened
    return sum(ledger_batch.close_stale(*move, cutoff) for move in STALE_MOVES)


def sync_waiting(*, batch_size: int = 100, now: datetime | None = None) -> SyncReport:
    """One pass of background sync: ask about the waiting transactions that are due, expire the stale ones.

    For users who close the tab before returning, and callbacks that never come. It spends provider calls where
    they pay: the first check waits ``SYNC_INTERVAL`` (a person needs minutes to finish), each check that finds
    no result multiplies the wait by ``SYNC_BACKOFF`` (up to ``SYNC_MAX_INTERVAL``), and the last one comes once
    the provider can no
    longer complete the transaction (``COMPLETION_WINDOW`` after it started): still nothing then, and it is
    expired. Its calls are background calls (:func:`~django_ekyc.ratelimit.background_calls`): they yield to the
    calls users wait for, and when the site's limit leaves none, the pass stops and hands the rest to the next.

    Safe to run from several hosts at once: due rows are claimed with ``select_for_update(skip_locked=True)``
    and leased, so each is checked by one host. Scheduling the passes (cron, a task worker) is the site's.
    """
    now = now or timezone.now()
    report = SyncReport(expired=expire_stale(now=now))
    claimed = ledger.claim_due(batch_size, now, CLAIM_LEASE)
    with background_calls():
        for position, kyc in _rows(claimed):
            try:
                kyc = refresh(kyc, source=EventSource.SYNC, claimed=True)
            except ProviderCallFailed as failure:
                if isinstance(failure.error, EkycRateLimited):
                    ledger.release(claimed[position:], now)  # the quota is the users' now: the next pass goes on
                    report.deferred = len(claimed) - position
                    break
                report.provider_failures += 1
                kyc = failure.transaction
            report.checked += 1
            _after_check(kyc, now, report)
    _face_work(now, report)
    report.days_summarised = summarise_frozen_days(now)
    return report


def _rows(ids: list[int]) -> Iterator[tuple[int, KycTransaction]]:
    """The claimed rows with their place in the claim, read ``LOAD_CHUNK`` at a time in the order claimed: a pass
    holds a chunk in memory, not its batch (a row deleted meanwhile is skipped)."""
    for start in range(0, len(ids), LOAD_CHUNK):
        rows = KycTransaction.objects.in_bulk(ids[start : start + LOAD_CHUNK])
        chunk = enumerate(ids[start : start + LOAD_CHUNK], start)
        yield from ((place, rows[pk]) for place, pk in chunk if pk in rows)


def _face_work(now: datetime, report: SyncReport) -> None:
    """The faces' to-do: comparisons and registrations no task did (or a provider failure left pending),
    deletions not yet confirmed."""
    if references.face_work_enabled():
        settled = faces.settle_pending_faces(now=now)
        report.faces_registered = settled.registered
        report.duplicates_found = settled.duplicates
        report.reference_conflicts = settled.conflicts
        report.face_failures = settled.failures
    if ekyc_settings.DEEPFAKE_SCREENING:
        report.deepfakes_screened = deepfake.screen_pending(now=now)
    deleted = face_deletion.delete_pending_faces()
    report.faces_deleted = deleted.deleted
    report.face_failures += deleted.deletion_failures


def _after_check(kyc: KycTransaction, now: datetime, report: SyncReport) -> None:
    if kyc.is_final:
        report.completed += 1
    elif kyc.status == Status.INITIALIZED and now >= completion_deadline(kyc):
        # The provider can no longer complete it, and this was the check after that moment.
        kyc, changed = ledger.transition(kyc, Status.EXPIRED, EventSource.SYNC, error_code="not_completed")
        report.expired += changed
        if changed:
            _keep_where_it_stopped(kyc)
    elif kyc.status == Status.INITIALIZED:
        report.still_waiting += 1
        _schedule_next_check(kyc, now)


def _keep_where_it_stopped(kyc: KycTransaction) -> None:
    """Ask the provider where the user of an abandoned verification stopped (CheckVerifyLog, free; its logs are
    ready once the flow's 30 minutes are over, as they are at expiry). A failure is on record and changes
    nothing: the verification stays expired, without the step."""
    try:
        records.store_verify_log(kyc, source=EventSource.EXPIRY)
    except (ProviderCallFailed, InvalidInput, DatabaseError) as missed:  # the pass goes on without it
        logger.info("no flow log for %s: %s", kyc.public_id, getattr(missed, "code", "") or type(missed).__name__)


def completion_deadline(kyc: KycTransaction) -> datetime:
    """When the provider can no longer complete a transaction (its flow must end within COMPLETION_WINDOW of
    Initialize), plus a margin for the provider to settle the last result."""
    return kyc.created_at + timedelta(seconds=ekyc_settings.COMPLETION_WINDOW) + COMPLETION_MARGIN


def _schedule_next_check(kyc: KycTransaction, now: datetime) -> None:
    attempts = kyc.check_attempts + 1
    # Checks fall at SYNC_INTERVAL x SYNC_BACKOFF^k after the start (7, 21, 63 minutes... with the defaults, cut
    # short by the completion deadline: 7, 21, then just after 31): the wait after the k-th check is the gap.
    first, backoff = ekyc_settings.SYNC_INTERVAL, ekyc_settings.SYNC_BACKOFF
    delay = min(ekyc_settings.SYNC_MAX_INTERVAL, first * backoff ** (attempts - 1) * max(backoff - 1, 1))
    # Never later than the last useful check, just after the provider's deadline.
    next_check = min(now + timedelta(seconds=delay), max(completion_deadline(kyc), now))
    ledger.schedule_check(kyc, next_check, attempts=attempts)
