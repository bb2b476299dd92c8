"""``manage.py ekyc_purge``: apply the retention rules (a dry run, counted per rule, unless ``--apply``).

The work is :func:`django_ekyc.tasks_passes.purge`, which the ``purge_records`` task runs too."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_ekyc import services, tasks_passes
from django_ekyc.conf import ekyc_settings
from django_ekyc.retention_policy import KINDS, RELATIONSHIP_END
from django_ekyc.services import retention


class Command(BaseCommand):
    help = (
        "Remove what each retention rule of EKYC['RETENTION'] has come due for: identity data and pictures "
        "stripped from finished verifications, then the decision trail and consents whose own retention ended. "
        "Nothing under a legal hold. Shows what it would do, per rule, unless --apply is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Purge; without it nothing is changed.")
        parser.add_argument("--kind", action="append", choices=KINDS, help="Only this kind (repeatable).")
        parser.add_argument(
            "--delete-at-provider", action="store_true", help="Also ask the provider to delete (DeleteVerifyResult)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = options["kind"] or KINDS
        if not options["apply"]:
            self._dry_run(kinds)
            return
        done = tasks_passes.purge(trigger="command", kinds=kinds, delete_at_provider=options["delete_at_provider"])
        report = done.report
        for kind in kinds:
            self.stdout.write(f"{kind}: {report.counts[kind]} record(s) purged")
        self.stdout.write(
            f"Recorded as purge run {report.run.pk if report.run else '-'}; "
            f"{report.failures} provider deletion(s) failed."
        )
        if done.provider is not None:
            self._report_provider_deletions(done.provider)
        faces = done.faces
        if faces.deleted or faces.deletion_failures:
            self.stdout.write(
                f"Deleted {faces.deleted} face(s) from the face library; {faces.deletion_failures} still pending."
            )

    def _dry_run(self, kinds: list[str] | tuple[str, ...]) -> None:
        report = retention.dry_run(kinds=kinds)
        self.stdout.write("Dry run: what each rule would remove now (nothing is changed).")
        for kind in kinds:
            rule = ekyc_settings.RETENTION[kind]
            counted = "the end of the relationship" if rule.counted_from == RELATIONSHIP_END else "completion"
            self.stdout.write(
                f"  {kind}: {report.counts[kind]} due; kept {rule.days} day(s) after {counted}, "
                f"{rule.on_erasure} on erasure. Basis: {rule.basis}"
            )
        pending = services.provider_deletion_pending().count()
        self.stdout.write(f"{pending} provider deletion(s) are pending. Run again with --apply to purge.")

    def _report_provider_deletions(self, provider: tasks_passes.ProviderDeletions) -> None:
        """Deletions the provider refused or failed before stay pending until it confirms them."""
        for kyc, failure in provider.failures:
            self.stderr.write(f"{kyc.public_id}: provider deletion failed ({failure.error.code}).")
        if provider.retried:
            self.stdout.write(
                f"Retried {provider.retried} pending provider deletion(s); {len(provider.failures)} still failed."
            )
