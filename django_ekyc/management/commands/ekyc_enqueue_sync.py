"""``manage.py ekyc_enqueue_sync``: enqueue one pass of background sync on the site's task backend.

The periodic trigger of sync: run it from cron every minute (``* * * * * manage.py ekyc_enqueue_sync``), or under a
process supervisor with ``--every 60``. The task workers (``manage.py db_worker`` for the ORM backend) run the
passes; several workers may run at once (each transaction is claimed by one).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_ekyc.tasks import sync_waiting_transactions


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
            result = sync_waiting_transactions.enqueue(batch_size=options["batch_size"])
            self.stdout.write(f"Enqueued sync pass {result.id}.")
            self.stdout.flush()
            if not options["every"] or stop.wait(options["every"]):
                return
