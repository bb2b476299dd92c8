"""``manage.py ekyc_purge_identity_data``: strip identity data past the retention period (dry run by default)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_ekyc import services
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import ProviderCallFailed
from django_ekyc.models import KycTransaction


class Command(BaseCommand):
    help = (
        "Remove the stored OCR and face results of finished verifications older than RETENTION_DAYS, keeping "
        "the decision (who, when, passed, sub code). Shows what it would do unless --apply is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override EKYC['RETENTION_DAYS'].")
        parser.add_argument("--apply", action="store_true", help="Purge; without it nothing is changed.")
        parser.add_argument(
            "--delete-at-provider", action="store_true", help="Also ask the provider to delete (DeleteVerifyResult)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = ekyc_settings.RETENTION_DAYS if options["days"] is None else options["days"]
        candidates = services.purge_candidates(older_than_days=days)
        count = candidates.count()
        if not options["apply"]:
            self.stdout.write(
                f"Dry run: {count} transaction(s) finished more than {days} day(s) ago hold identity data; "
                f"{services.provider_deletion_pending().count()} provider deletion(s) are pending."
            )
            for kyc in candidates[:50]:
                self.stdout.write(f"  {kyc.public_id}  {kyc.status}  completed {kyc.completed_at:%Y-%m-%d}")
            self.stdout.write("Run again with --apply to purge them.")
            return
        purged, failures = 0, 0
        for kyc in candidates.iterator():
            failures += not self._purge(kyc, options["delete_at_provider"])
            purged += 1
        self.stdout.write(f"Purged identity data of {purged} transaction(s); {failures} provider deletion(s) failed.")
        if options["delete_at_provider"]:
            self._retry_provider_deletions()
        faces = services.delete_pending_faces()
        if faces.deleted or faces.deletion_failures:
            self.stdout.write(
                f"Deleted {faces.deleted} face(s) from the face library; {faces.deletion_failures} still pending."
            )

    def _purge(self, kyc: KycTransaction, delete_at_provider: bool) -> bool:
        try:
            services.purge_identity_data(kyc, delete_at_provider=delete_at_provider)
        except ProviderCallFailed as failure:
            self.stderr.write(f"{kyc.public_id}: purged here, provider deletion failed ({failure.error.code}).")
            return False
        return True

    def _retry_provider_deletions(self) -> None:
        """Deletions the provider refused or failed before stay pending until it confirms them."""
        retried = failed = 0
        for kyc in services.provider_deletion_pending().iterator():
            retried += 1
            failed += not self._purge(kyc, delete_at_provider=True)
        if retried:
            self.stdout.write(f"Retried {retried} pending provider deletion(s); {failed} still failed.")
