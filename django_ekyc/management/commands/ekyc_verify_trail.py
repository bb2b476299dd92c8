"""``manage.py ekyc_verify_trail``: the hash chains checked, in the database (every verification's history, every
audit chain) or in an export (``--dir``: its files against its manifest). Each chain's first break is printed, and
the command fails (a non-zero exit status) if there is any. See docs/audit.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from django_ekyc.services.trail import verify_database, verify_trail_files


class Command(BaseCommand):
    help = "Verify the hash chains: of the database, or (--dir) of an export against its manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", metavar="DIR", help="an export of ekyc_export_trail (default: the database)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dir"]:
            directory = Path(options["dir"])
            if not directory.is_dir():
                raise CommandError(_("%s is not a directory.") % directory)
            check = verify_trail_files(directory)
        else:
            check = verify_database()
        for problem in check:
            self.stdout.write(str(problem))
        if check:
            found = ngettext("%(broken)d problem found in %(chains)d chains.",
                             "%(broken)d problems found in %(chains)d chains.", len(check))  # fmt: skip
            raise CommandError(found % {"broken": len(check), "chains": check.chains})
        self.stdout.write(_("OK: %(chains)d chains, %(records)d records") % {"chains": check.chains,
                                                                              "records": check.records})  # fmt: skip
