"""``manage.py ekyc_deliver_webhooks``: send the outbox's due events to the site's webhook endpoints.

One pass by default (cron, every minute); ``--until-idle`` repeats passes until nothing is due (a backlog, or the
next event of a verification waiting for the one just delivered); ``--loop`` runs under a process supervisor until
SIGTERM or SIGINT, which stop it between passes. Several may run at once, on several hosts: each delivery is leased
by one. Delivered events older than ``KEEP_DAYS`` are pruned once per run (once a minute in a loop).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_ekyc.services.webhook_delivery import DeliveryReport, run


def _counts(report: DeliveryReport) -> str:
    return f"Claimed {report.claimed}: {report.delivered} delivered, {report.failed} failed (to be retried)."


class Command(BaseCommand):
    help = (
        "Deliver due webhook events (signed POSTs) to the endpoints in EKYC['WEBHOOKS']; one pass, or --until-idle, "
        "or --loop until SIGTERM. Safe to run on several hosts at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=50, help="Most deliveries one pass claims (default 50).")
        parser.add_argument("--loop", action="store_true", help="Run until SIGTERM/SIGINT (stops between passes).")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="With --loop: seconds to wait when nothing is due (default 2)."
        )
        parser.add_argument("--until-idle", action="store_true", help="Repeat passes until nothing is due.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1 or options["interval"] <= 0:
            raise CommandError("--batch and --interval must be positive.")
        stop = threading.Event()
        if options["loop"]:
            for number in (signal.SIGTERM, signal.SIGINT):
                signal.signal(number, lambda *_: stop.set())

        def each(report: DeliveryReport) -> None:
            if options["loop"]:
                self.stdout.write(_counts(report))
                self.stdout.flush()

        total = run(
            interval=options["interval"] if options["loop"] else None,
            until_idle=options["until_idle"],
            stop=stop,
            batch_size=options["batch"],
            on_pass=each,
        )
        self.stdout.write(("Stopped. " if options["loop"] else "") + _counts(total))
