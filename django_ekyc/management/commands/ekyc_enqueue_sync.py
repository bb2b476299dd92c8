"""``manage.py ekyc_enqueue_sync``: enqueue one pass of background sync on the site's task backend.

The periodic trigger of sync: run it from cron every minute (``* * * * * manage.py ekyc_enqueue_sync``), or under a
process supervisor with ``--every 60``. The task workers (``manage.py db_worker`` for the ORM backend) run the
passes; several workers may run at once (each transaction is claimed by one).

It says what became of each pass: enqueued for a worker; run here and then, because no worker backend is
configured (Django's default ``ImmediateBackend``), with its counts; or kept by a backend that runs nothing
(``DummyBackend``). "Enqueued" on a site with no worker would hide that sync never runs in the background.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_ekyc.tasks import runs_in_background, sync_waiting_transactions


class Command(BaseCommand):
    help = "Enqueue a pass of background sync (sync_waiting_transactions) on the task backend; --every repeats."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100, help="Most transactions one pass checks.")
        parser.add_argument(
            "--every", type=float, default=None, help="Seconds between passes; enqueue until stopped (SIGTERM)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["every"]:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while True:
            self.stdout.write(self._enqueue(options["batch_size"]))
            self.stdout.flush()
            if not options["every"] or stop.wait(options["every"]):
                return

    def _enqueue(self, batch_size: int) -> str:
        """What became of one pass, in words."""
        background = runs_in_background()
        result = sync_waiting_transactions.enqueue(batch_size=batch_size)
        if background:
            return f"Enqueued sync pass {result.id}."
        if not result.is_finished:
            return (
                f"The task backend {result.backend!r} runs no tasks: sync pass {result.id} was recorded, and nothing "
                "will run it. Configure a worker backend in TASKS (django_tasks_db.DatabaseBackend and "
                "manage.py db_worker), or run manage.py ekyc_sync instead."
            )
        if result.errors:
            raise CommandError(
                f"No task worker backend is configured: ran the sync pass inline, and it failed:\n"
                f"{result.errors[-1].traceback}"
            )
        counts = ", ".join(f"{name}={count}" for name, count in dict(result.return_value).items())
        return f"No task worker backend is configured: ran the sync pass inline: {counts}."
