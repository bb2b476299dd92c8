"""Background sync: ask about waiting transactions nobody came back for, and expire the stale ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import ProviderCallFailed
from django_ekyc.models import EventSource, KycTransaction, Status
from django_ekyc.services import ledger
from django_ekyc.services.flow import refresh

__all__ = ["CLAIM_LEASE", "SyncReport", "expire_stale", "sync_waiting"]

# A claimed transaction is skipped by other hosts for this long, even if its host dies mid-pass.
CLAIM_LEASE = timedelta(minutes=5)


@dataclass
class SyncReport:
    """What one pass of :func:`sync_waiting` did."""

    checked: int = 0
    completed: int = 0
    still_waiting: int = 0
    provider_failures: int = 0
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def expire_stale(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """Close attempts left open past ``EXPIRE_AFTER``; safe to run from several hosts at once.

    Waiting transactions become ``expired``; rows still ``created`` (the process died between saving
    the attempt and recording the provider's answer) become ``error`` with code ``abandoned``.
    """
    cutoff = (now or timezone.now()) - (older_than or timedelta(seconds=ekyc_settings.EXPIRE_AFTER))
    stale = KycTransaction.objects.filter(status__in=[Status.INITIALIZED, Status.CREATED], created_at__lt=cutoff)
    closed = 0
    for pk, status in stale.values_list("pk", "status"):
        to_status, code = (Status.EXPIRED, "expired") if status == Status.INITIALIZED else (Status.ERROR, "abandoned")
        _, changed = ledger.transition(KycTransaction(pk=pk), to_status, EventSource.EXPIRY, error_code=code)
        closed += changed
    return closed


def sync_waiting(*, batch_size: int = 100, now: datetime | None = None) -> SyncReport:
    """One pass of background sync: refresh the waiting transactions that are due, expire the stale ones.

    For users who close the tab before returning, and callbacks that never come. Safe to run from
    several hosts at once: due rows are claimed with ``select_for_update(skip_locked=True)`` and
    leased, so each is checked by one host; each check that finds no result doubles the wait
    before the next (``SYNC_INTERVAL`` up to ``SYNC_MAX_INTERVAL``). Scheduling the passes (cron,
    a task backend) is the site's; nothing here loops.
    """
    now = now or timezone.now()
    report = SyncReport(expired=expire_stale(now=now))
    for kyc in ledger.claim_due(batch_size, now, CLAIM_LEASE):
        report.checked += 1
        try:
            kyc = refresh(kyc, source=EventSource.SYNC)
        except ProviderCallFailed as failure:
            report.provider_failures += 1
            kyc = failure.transaction
        if kyc.status == Status.INITIALIZED:
            report.still_waiting += 1
            _schedule_next_check(kyc, now)
        elif kyc.is_final:
            report.completed += 1
    return report


def _schedule_next_check(kyc: KycTransaction, now: datetime) -> None:
    attempts = kyc.check_attempts + 1
    delay = min(ekyc_settings.SYNC_MAX_INTERVAL, ekyc_settings.SYNC_INTERVAL * 2 ** (attempts - 1))
    ledger.schedule_check(kyc, now + timedelta(seconds=delay), attempts=attempts)
