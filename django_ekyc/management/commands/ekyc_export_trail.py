"""``manage.py ekyc_export_trail``: the auditor's trail of a period (the verifications with history in it, their
whole hash chains, the decisions, the audit chains, the consents) as JSON-lines files and a manifest. See
docs/audit.md."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from django_ekyc.management.commands.ekyc_export_person import os_user
from django_ekyc.services.trail import export_trail


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("%r is not a date (YYYY-MM-DD).") % value) from None


class Command(BaseCommand):
    help = "Export the auditor's trail of a period (both days included, in the site's time zone) into a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD", help="the first day")
        parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD", help="the last day")
        parser.add_argument("--out", required=True, metavar="DIR", help="a new (or empty) directory")
        parser.add_argument("--actor", default="", metavar="NAME", help="who makes the export (default: OS user)")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = day(options["first"]), day(options["last"])
        if last < first:
            raise CommandError(_("--to is before --from."))
        zone = timezone.get_current_timezone()
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        try:
            manifest = export_trail(start, end, Path(options["out"]), actor=options["actor"] or os_user())
        except FileExistsError:
            raise CommandError(_("%s already holds an export: give another directory.") % options["out"]) from None
        files = manifest.data["files"]
        for name, summary in files.items():
            self.stdout.write(f"{Path(options['out']) / name}: {summary['lines']}")
        self.stdout.write(f"{manifest.path} (SHA-256 {manifest.sha256})")
