"""The maintenance passes that run both as commands and as tasks.

One function each, so that ``manage.py ekyc_purge --apply`` from cron and the ``purge_records`` task on a worker
do the same work. Nothing here imports ``django.tasks``: the commands must run on a site without the tasks extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django_ekyc import services
from django_ekyc.exceptions import ProviderCallFailed
from django_ekyc.models import KycTransaction
from django_ekyc.retention_policy import KINDS
from django_ekyc.services import retention
from django_ekyc.services.face_deletion import FaceReport

Failures = list[tuple[KycTransaction, ProviderCallFailed]]


@dataclass
class ProviderDeletions:
    """A retry of the provider deletions still pending (``DeleteVerifyResult``)."""

    retried: int = 0
    failures: Failures = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"retried": self.retried, "failed": len(self.failures)}


@dataclass
class PurgePass:
    """What one purge did: the retention rules' run, the provider deletions retried (when asked) and the faces
    taken out of the face library."""

    report: retention.PurgeReport
    provider: ProviderDeletions | None
    faces: FaceReport

    def as_dict(self) -> dict[str, int]:
        """Per rule what it removed; ``failures``: the verifications whose provider deletion still failed when the
        pass ended, each counted once. The retry asks again every pending deletion, the run's own failures among
        them, so its failures are those (adding the run's would count a verification twice)."""
        failed = len(self.provider.failures) if self.provider is not None else self.report.failures
        return {**self.report.counts, "failures": failed, "faces_deleted": self.faces.deleted}


def check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """The retention kinds asked for (all of them for ``None``); an unknown one is refused before anything runs."""
    chosen = tuple(kinds) if kinds is not None else KINDS
    unknown = sorted(set(chosen) - set(KINDS))
    if unknown:
        raise ValueError(f"Unknown retention kind(s) {', '.join(unknown)}: choose from {', '.join(KINDS)}.")
    return chosen


def retry_provider_deletions() -> ProviderDeletions:
    """Ask the provider again for the deletions it refused or failed (until it confirms them)."""
    retried, failures = retention.retry_provider_deletions()
    return ProviderDeletions(retried, failures)


def purge(*, trigger: str, kinds: Iterable[str] | None = None, delete_at_provider: bool = False) -> PurgePass:
    """The retention rules applied and recorded as a purge run (``trigger`` says who ran it), then with
    ``delete_at_provider`` the provider deletions still pending (the run's own failures among them), then the
    faces still to leave the library."""
    report = retention.run_purge(trigger=trigger, kinds=check_kinds(kinds), delete_at_provider=delete_at_provider)
    provider = retry_provider_deletions() if delete_at_provider else None
    return PurgePass(report, provider, services.delete_pending_faces())
