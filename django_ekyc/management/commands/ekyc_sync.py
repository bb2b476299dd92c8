"""``manage.py ekyc_sync``: one pass of background sync (run it from cron, every minute or so)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_ekyc import services


class Command(BaseCommand):
    help = (
        "Ask the provider about waiting verifications that are due (with backoff) and expire those the provider "
        "can no longer complete. Safe to run from several hosts at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100, help="Most transactions to check in this pass.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.sync_waiting(batch_size=options["batch_size"])
        self.stdout.write(
            f"Checked {report.checked}: {report.completed} completed, {report.still_waiting} still waiting, "
            f"{report.provider_failures} provider failure(s); expired {report.expired}."
        )
        if report.faces_registered or report.duplicates_found or report.faces_deleted or report.face_failures:
            self.stdout.write(
                f"Face library: {report.faces_registered} registered, {report.duplicates_found} duplicate(s) found, "
                f"{report.faces_deleted} deleted, {report.face_failures} failure(s)."
            )
        if report.deferred:
            self.stdout.write(
                f"Left {report.deferred} for the next pass: the rate limit had no room for background work."
            )
