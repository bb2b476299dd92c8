"""``manage.py ekyc_export_person``: a person's access request (their data, as JSON and as a readable page).

The person is named by their user (``--user``, ``--username``) or, once the user is deleted, by their pseudonym
(``--person``: their verifications' ``merchant_user_id``). The export is on the person's audit chain, with who ran
it (``--actor``, by default the OS user). See docs/audit.md.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from django_ekyc.services.exports import NothingToExport, export_person, person_of


def os_user() -> str:
    """Who runs the command, as the audit names them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment
        return "manage.py"


class Command(BaseCommand):
    help = "Export everything the site holds about one person (an access request), as JSON and HTML."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", metavar="PK", help="the user's primary key")
        who.add_argument("--username", metavar="NAME", help="the user's username")
        who.add_argument("--person", metavar="PSEUDONYM", help="the person's pseudonym (for a deleted user)")
        parser.add_argument("--out", default=".", metavar="DIR", help="where to write the files (default: here)")
        parser.add_argument("--actor", default="", metavar="NAME", help="who makes the export (default: OS user)")

    def handle(self, *args: Any, **options: Any) -> None:
        person = options["person"] or person_of(self._user(options))
        try:
            export = export_person(person, actor=options["actor"] or os_user())
        except NothingToExport:
            raise CommandError(_("The site holds nothing about this person.")) from None
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for suffix, text in ((".json", export.json()), (".html", export.html())):
            path = out / f"{export.stem}{suffix}"
            path.write_text(text, encoding="utf-8")
            self.stdout.write(str(path))

    def _user(self, options: dict[str, Any]) -> Any:
        users = get_user_model()._default_manager
        try:
            if options["username"] is not None:
                return users.get_by_natural_key(options["username"])
            return users.get(pk=options["user"])
        except (users.model.DoesNotExist, ValueError, TypeError, ValidationError):
            raise CommandError(_("No such user.")) from None
