"""A simulated day of background sync: CheckResult calls per settled and per abandoned transaction, how long due
checks wait, and the memory of a pass.

2,000 verifications start over the first twelve hours; 55 % of the users finish on the provider's page (after
minutes: log-normal, median 4 minutes, never past the provider's 30), the rest leave. No callback arrives and
nobody comes back to the return page: sync alone finds every outcome. A pass runs every minute of simulated
time (``sync_waiting(now=...)``) against the simulator, for 25 hours. Printed for the shipped schedule (first
check after 7 minutes, then 21, a last check once the provider's 30 minutes are over, then expiry) and, in the
same run, for the schedule it replaced (the baseline: after 1 minute, doubling up to an hour, expiry after 24 h),
both with no rate limit and passes of 2,000 rows; then for the shipped schedule under the shipped settings: the
site's limit (RATE_LIMIT 10, counted in Redis, its background share and margin as shipped) and the sync command's
default batch (100 rows a pass).

The clock of the passes is simulated, the limiter's is not: under the limit each pass really waits for its
slots, and the day takes minutes of real time per thousand calls. That run therefore has fewer verifications
(``--limited-transactions``, default 500; ``--transactions`` sets the others'), printed with its real length.
For every run: how long due checks waited, from the moment a row fell due (its ``next_check_at``) to the pass
that checked it, in simulated minutes (95th percentile and worst), and the largest tracemalloc peak of one pass
over the day (above what was allocated before it; a pass that imported a module, the first use of some code in the
process, is left out). The simulator runs in a process of its own, so that its side of the calls is not counted.
Run: .venv/bin/python bench/sync_day.py [--transactions 2000] [--limited-transactions 500]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import math
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import PYTHON, SIM_KEY, child, demo_user, django_on_postgres, median, percentile
from django_ekyc.testing import SimulatorControl
from scripts._support import free_port, wait_until_up

CACHE_URL = "redis://127.0.0.1:6379/4"  # the limiter's log: a database of its own, emptied before each run
PREVIOUS = {"SYNC_INTERVAL": 60, "SYNC_BACKOFF": 2, "SYNC_MAX_INTERVAL": 3600, "COMPLETION_WINDOW": 10**9}
NO_FACES = {"EKYC_FACE_LIBRARY": ""}  # the simulator's process (its checks skipped): no face library in it
NOT_THE_SITES = ("ENDPOINT", "SIMULATOR_URL", "ACCOUNTS", "ACCOUNT_RESOLVER", "VPC_ENDPOINT")


@dataclass(frozen=True)
class Simulator:
    """The simulator in a process of its own (``manage.py ekyc_simulator``, no face library, as the in-process
    one of ``running_simulator()``): nothing it allocates is in this process's tracemalloc peaks."""

    url: str
    control: SimulatorControl

    def ekyc_settings(self, **overrides: Any) -> dict[str, Any]:
        """The site's ``settings.EKYC`` talking to this simulator (as ``RunningSimulator.ekyc_settings``)."""
        from django.conf import settings

        site = {name: value for name, value in settings.EKYC.items() if name not in NOT_THE_SITES}
        key_id, secret = SIM_KEY
        return {**site, "ACCESS_KEY_ID": key_id, "ACCESS_KEY_SECRET": secret, "ENDPOINT": self.url, **overrides}


@contextlib.contextmanager
def simulator() -> Iterator[Simulator]:
    port = free_port()
    command = [PYTHON, "manage.py", "ekyc_simulator", "--skip-checks", "--port", str(port)]
    with child(
        [*command, "--access-key-id", SIM_KEY[0], "--access-key-secret", SIM_KEY[1]], {**os.environ, **NO_FACES}
    ):
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/_sim/health")
        control = SimulatorControl(url)
        try:
            yield Simulator(url, control)
        finally:
            control.close()


@dataclass(frozen=True)
class Run:
    overrides: Mapping[str, float]
    limit: int | None = None  # RATE_LIMIT during the day (the starts before it are never limited)
    batch: int | None = None  # rows a pass claims; None: every transaction of the run
    limited: bool = False  # the run of --limited-transactions


def completion_minutes(rng: random.Random) -> float | None:
    """When a user finishes, in minutes after the start; None for one who leaves."""
    if rng.random() >= 0.55:
        return None
    return min(29.0, rng.lognormvariate(math.log(4), 0.9))


def command_batch() -> int:
    """The batch size ``manage.py ekyc_sync`` claims by default (the sync task's is the same)."""
    from django_ekyc.management.commands.ekyc_sync import Command

    return int(Command().create_parser("manage.py", "ekyc_sync").get_default("batch_size"))


def simulate(name: str, run: Run, count: int, sim: Simulator) -> None:
    import redis
    from django.db.models import Q
    from django.test import override_settings
    from django.utils import timezone

    from django_ekyc import services
    from django_ekyc.models import KycTransaction, Status

    sim.control.reset()
    redis.Redis.from_url(CACHE_URL).flushdb()
    unlimited = sim.ekyc_settings(CALLBACK_ENABLED=False, RATE_LIMIT=None, **run.overrides)
    settings = {**unlimited, "RATE_LIMIT": run.limit}
    rng, day = random.Random(20261126), timezone.now()  # noqa: S311 - a simulation, not a secret
    with override_settings(EKYC=unlimited):
        user, finishes = demo_user(), {}
        for _ in range(count):
            started = services.start_verification(
                user=user, doc_type="01000000", meta_info='{"deviceType":"web"}', build_url=lambda p: f"https://x{p}"
            )
            kyc = started.transaction
            at = day + timedelta(seconds=rng.uniform(0, 12 * 3600))
            first = at + timedelta(seconds=unlimited.get("SYNC_INTERVAL", 420))
            KycTransaction.objects.filter(pk=kyc.pk).update(created_at=at, next_check_at=first)
            minutes = completion_minutes(rng)
            if minutes is not None:
                finishes[str(kyc.transaction_id)] = at + timedelta(minutes=minutes)
    pending = sorted(finishes.items(), key=lambda item: item[1])
    waiting = KycTransaction.objects.filter(status=Status.INITIALIZED)
    due_since: dict[int, Any] = {}  # row -> when it fell due, until a pass checks it
    waits: list[float] = []  # simulated minutes from due to checked
    peaks: list[float] = []  # each pass's tracemalloc peak, bytes above what was allocated before it
    started_at, busiest = time.perf_counter(), 0
    tracemalloc.start()
    with override_settings(EKYC=settings):
        for minute in range(25 * 60):
            now = day + timedelta(minutes=minute)
            while pending and pending[0][1] <= now:
                sim.control.complete(pending.pop(0)[0], "pass")
            due = waiting.filter(Q(next_check_at__lte=now) | Q(next_check_at=None))
            for pk, fell_due in due.values_list("pk", "next_check_at"):
                due_since.setdefault(pk, fell_due or now)
            tracemalloc.reset_peak()
            before, modules = tracemalloc.get_traced_memory()[0], len(sys.modules)
            report = services.sync_waiting(now=now, batch_size=run.batch or count)
            busiest = max(busiest, report.checked)
            if len(sys.modules) == modules:  # a pass that imports code (its first use in the process) is left out
                peaks.append(tracemalloc.get_traced_memory()[1] - before)
            still = set(due.filter(pk__in=list(due_since)).values_list("pk", flat=True))
            for pk in [pk for pk in due_since if pk not in still]:
                waits.append((now - due_since.pop(pk)).total_seconds() / 60)
    tracemalloc.stop()
    length = time.perf_counter() - started_at
    checks = collections.Counter(call["params"]["TransactionId"] for call in sim.control.calls("CheckResult"))
    rows = KycTransaction.objects.all()
    settled = [checks[kyc.transaction_id] for kyc in rows if kyc.transaction_id in finishes]
    abandoned = [checks[kyc.transaction_id] for kyc in rows if kyc.transaction_id not in finishes]
    events = max(kyc.events.count() for kyc in rows)
    print(
        f"{name:38} settled {len(settled):4d}: {sum(settled) / len(settled):4.2f} calls each   "
        f"abandoned {len(abandoned):4d}: {sum(abandoned) / len(abandoned):5.2f} calls each (max {max(abandoned)})   "
        f"most history rows {events}"
    )
    worst = max(peaks)
    print(
        f"{'':38} due to checked: p95 {percentile(waits, 0.95):5.2f} min, worst {max(waits):5.2f} min "
        f"({len(waits)} checks, {len(due_since)} never)   a pass's tracemalloc peak: "
        f"median {median(peaks) / 1024:5.1f} KiB, at most {worst / 1024:6.1f} KiB (busiest pass: {busiest} rows)   "
        f"the day took {length:6.1f} s real time"
    )
    rows.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--limited-transactions", type=int, default=500, help="for the run under the shipped limit")
    args = parser.parse_args()
    with django_on_postgres("ekyc_bench_sync_day", CACHE_URL=CACHE_URL):
        from django_ekyc.conf import ekyc_settings

        batch, limit = command_batch(), 10
        runs = {
            "previous schedule (baseline)": Run(PREVIOUS),
            "shipped schedule": Run({}),
            f"shipped schedule, limit {limit}, batch {batch}": Run({}, limit, batch, limited=True),
        }
        print(
            f"shipped limit: {limit}/s, margin {ekyc_settings.RATE_LIMIT_MARGIN:g} s, background share "
            f"{ekyc_settings.RATE_LIMIT_BACKGROUND_SHARE:g}; no limit and batch = transactions otherwise"
        )
        with simulator() as sim:
            for name, run in runs.items():
                simulate(name, run, args.limited_transactions if run.limited else args.transactions, sim)


if __name__ == "__main__":
    main()
