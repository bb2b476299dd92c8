"""A backlog of due verifications cleared by background sync, measured where the provider counts: the simulator.

100,000 waiting verifications (``--rows``), written in SQL (``INSERT ... SELECT generate_series``) on PostgreSQL,
are all due: started 8 to 20 minutes ago, first check 7 minutes after the start (none stale, none past the
provider's 30 minutes). The simulator is told about every one (its state, in this process): 5 in 10 passed, 1
failed, 4 are still on the provider's page (ProcessNotCompleted: checked and rescheduled), so that the workers do
the real work (results, history). Workers are separate processes running sync passes back to back
(``sync_waiting(batch_size=100)``: the default of ``manage.py ekyc_sync`` and of the sync task), no user traffic,
for ``--seconds`` from the first call or until every row was checked once: 1 and 4 of them, first with no limit
(the baseline: the most the site can do), then under the shipped limit (RATE_LIMIT 10 through Redis, its
background share and margin as shipped). The site's own settings, as shipped (no face library, no
re-verification, no webhooks). Printed per run, from the simulator's arrival times (``received_at``): CheckResult
calls a second (mean from the first arrival, and the busiest one-second span), the share of the provider's quota
(10 a second) and of the limiter's ceiling (RATE_LIMIT / (1 + RATE_LIMIT_MARGIN) a second) they use; from the
database, rows checked a second (left ``initialized`` or their check count grew), and how long the backlog's first
checks take at that rate. Then the memory of one pass of 100 and of 2,000 rows (no limit, each in a fresh
process, after a warm-up pass of one row, on a refilled backlog): tracemalloc's peak, and how far the peak RSS rose
over the RSS before the pass (a separate process without tracemalloc; the child's own ``VmHWM``, as ``getrusage``'s
``ru_maxrss`` is carried over from this process on Linux), per claimed row.
Run: .venv/bin/python bench/backlog.py [--rows 100000] [--seconds 120] [--workers 1 4] [--batch 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._backlog_fill import fill
from bench._pacing import QUOTA, Arrivals
from bench._support import PYTHON, ROOT, SIM_KEY, demo_user, django_on_postgres

if TYPE_CHECKING:
    from django_ekyc.testing import RunningSimulator

CACHE_URL = "redis://127.0.0.1:6379/14"  # the limiter's log: a database of its own, emptied before each run
WORKER = str(ROOT / "bench" / "_backlog_fill.py")
MEMORY_BATCHES = (100, 2000)
# Shipped, except what no site has by default: the example project's face library and re-verification.
SITE = {"CALLBACK_ENABLED": False, "FACE_LIBRARY": None, "REVERIFY_PRODUCT": None, "REVERIFY_FROM_PICTURE": False}


def ekyc_for(sim: RunningSimulator, limit: int | None) -> str:
    """The ``settings.EKYC`` of the children, as JSON: the shipped limiter with ``limit``, none with None."""
    return json.dumps(sim.ekyc_settings(**SITE, RATE_LIMIT=limit))


@contextlib.contextmanager
def workers(count: int, batch: int, settings: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` worker processes, each running sync passes back to back; stopped (and waited for) on exit."""
    env = {**os.environ, "BENCH_EKYC": settings}
    started: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            started.append(subprocess.Popen([PYTHON, WORKER, "work", str(batch)], cwd=ROOT, env=env))
        yield started
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def checked_rows() -> int:
    """Rows a sync pass has checked: no longer waiting, or asked about at least once."""
    from django.db.models import Q

    from django_ekyc.models import KycTransaction, Status

    return KycTransaction.objects.filter(~Q(status=Status.INITIALIZED) | Q(check_attempts__gt=0)).count()


def arrivals(sim: RunningSimulator) -> list[float]:
    """When each CheckResult reached the simulator (its call log, read in this process: the same as /_sim/calls)."""
    return sorted(call["received_at"] for call in sim.simulator.state.list_calls() if call["action"] == "CheckResult")


def run(sim: RunningSimulator, limit: int | None, count: int, args: argparse.Namespace) -> dict[str, float]:
    import redis

    fill(args.rows, sim.simulator.state, demo_user().pk)
    redis.Redis.from_url(CACHE_URL).flushdb()
    with workers(count, args.batch, ekyc_for(sim, limit)) as processes:
        while not arrivals(sim):
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a worker ended before its first call")
            time.sleep(0.05)
        first, checked = arrivals(sim)[0], 0
        while time.time() < first + args.seconds and checked < args.rows:
            time.sleep(min(1.0, max(0.0, first + args.seconds - time.time())))
            checked = checked_rows()
        checked, end = checked_rows(), time.time()
    moments = [moment for moment in arrivals(sim) if moment <= end]
    length = end - first
    return {"length": length, "calls": len(moments), "busiest": Arrivals(tuple(moments)).busiest, "checked": checked}


def memory(sim: RunningSimulator, args: argparse.Namespace) -> None:
    """The memory of one pass (no limit), in a fresh process per batch size and per measure, the backlog refilled."""
    env = {**os.environ, "BENCH_EKYC": ekyc_for(sim, None)}
    for batch in MEMORY_BATCHES:
        figures: dict[str, Any] = {}
        for mode in ("trace", "rss"):
            fill(args.rows, sim.simulator.state, demo_user().pk)
            command = [PYTHON, WORKER, "memory", str(batch), mode]
            out = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=900)
            figures[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        claimed = figures["trace"]["claimed"]
        peak, rss = figures["trace"]["peak"], figures["rss"]["rss"]
        print(
            f"one pass, batch {batch:5d} ({claimed} claimed, {figures['rss']['seconds']:5.1f} s): tracemalloc peak "
            f"{peak / 2**20:5.1f} MiB ({peak / max(claimed, 1) / 1024:4.1f} KiB a row)   peak RSS +{rss / 2**20:5.1f} "
            f"MiB over {figures['rss']['before'] / 2**20:5.1f} ({rss / max(claimed, 1) / 1024:4.1f} KiB a row; "
            f"ru_maxrss says {figures['rss']['maxrss'] / 2**20:5.1f} MiB: the parent's)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch", type=int, default=100, help="rows a pass claims (the sync command's default)")
    args = parser.parse_args()
    with django_on_postgres("ekyc_bench_backlog", CACHE_URL=CACHE_URL):
        from django_ekyc.conf import ekyc_settings
        from django_ekyc.testing import running_simulator

        with running_simulator(*SIM_KEY) as sim:
            margin, share = ekyc_settings.RATE_LIMIT_MARGIN, ekyc_settings.RATE_LIMIT_BACKGROUND_SHARE
            ceiling = QUOTA / (1 + margin)
            print(
                f"{args.rows:,} due rows, passes of {args.batch}, {args.seconds:g} s a run or until all are checked; "
                f"shipped limit {QUOTA}/s (margin {margin:g} s, background share {share:g}): ceiling "
                f"{ceiling:.2f} calls/s"
            )
            for name, limit in (("no limit (baseline)", None), ("shipped limit", QUOTA)):
                for count in args.workers:
                    started = time.perf_counter()
                    figures = run(sim, limit, count, args)
                    mean, rate = figures["calls"] / figures["length"], figures["checked"] / figures["length"]
                    clearing = args.rows / rate if rate else float("inf")
                    print(
                        f"{name:20} {count} worker{'s' if count > 1 else ' '}: CheckResult {mean:6.2f}/s "
                        f"(busiest 1-s span {figures['busiest']:4.0f})   quota {mean / QUOTA:6.1%}   "
                        f"ceiling {mean / ceiling:6.1%}   checked {figures['checked']:6.0f} rows in "
                        f"{figures['length']:5.1f} s ({rate:6.2f}/s)   {args.rows:,} rows in "
                        f"{clearing / 60:6.1f} min   (run {time.perf_counter() - started:5.1f} s)"
                    )
            memory(sim, args)


if __name__ == "__main__":
    main()
