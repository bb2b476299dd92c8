"""The wait of calls a person is waiting for, during a full sync sweep, under the site's limit of 10 a second.

200 transactions are due at once; one sync pass checks them all (background calls) while a user asks about their
own transaction every 0.3 s (a refresh: a user call). Printed in the same run: with priorities (shipped:
RATE_LIMIT_BACKGROUND_SHARE 0.5, so background work is admitted while the window holds fewer than 5 calls of any
kind when a user call is in it, and up to all of it but one slot when none is) and without (the baseline, share
1.0: background calls may take the whole limit whether users call or not, so sync and users share one budget, as
before priorities), the user calls' time (median, 95th percentile, worst; the whole refresh, and the part spent
inside the limiter) and the sweep's length. A user calling every 0.3 s nearly always has a call in the limiter's
1.2 s window, so the shipped sweep mostly runs at its share, less the user's own calls.

From the simulator's call log (arrival times): the sweep's CheckResult calls a second (over their span and one
window of the limiter) and the busiest one-second span of all CheckResult calls, the user's included (<= 10).
Run: .venv/bin/python bench/sync_user_wait.py [--due 200]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._pacing import QUOTA, Arrivals
from bench._support import SIM_KEY, demo_user, django_on_postgres, median, percentile

if TYPE_CHECKING:
    from django_ekyc.testing import RunningSimulator

CACHE_URL = "redis://127.0.0.1:6379/11"
SETUPS = {"without priorities (baseline)": 1.0, "with priorities (shipped)": 0.5}
RATE = 10


def sweep(name: str, share: float, due: int, sim: RunningSimulator) -> None:
    import redis
    from django.db import connection
    from django.test import override_settings
    from django.utils import timezone

    from django_ekyc import services
    from django_ekyc.client import get_client
    from django_ekyc.conf import ekyc_settings
    from django_ekyc.models import KycTransaction
    from django_ekyc.ratelimit import Priority, current_priority

    redis.Redis.from_url(CACHE_URL).flushdb()
    sim.control.reset()
    KycTransaction.objects.all().delete()
    fast = sim.ekyc_settings(RATE_LIMIT=None, CALLBACK_ENABLED=False)
    with override_settings(EKYC=fast):
        user = demo_user()
        for _ in range(due + 1):
            services.start_verification(
                user=user, doc_type="01000000", meta_info='{"deviceType":"web"}', build_url=lambda p: f"https://x{p}"
            )
    mine = KycTransaction.objects.order_by("id").last()
    assert mine is not None
    KycTransaction.objects.exclude(pk=mine.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    KycTransaction.objects.filter(pk=mine.pk).update(next_check_at=timezone.now() + timedelta(days=1))
    limited = sim.ekyc_settings(
        RATE_LIMIT=RATE, RATE_LIMIT_BACKGROUND_SHARE=share, RATE_LIMIT_BACKGROUND_MAX_WAIT=120, RATE_LIMIT_MAX_WAIT=30
    )
    waits: list[float] = []
    in_limiter: list[float] = []
    with override_settings(EKYC=limited):
        window = 1 + ekyc_settings.RATE_LIMIT_MARGIN
        done = threading.Event()
        shared = get_client()  # the process-wide client: the sweep's calls and the user's go through its limiter
        limiter = shared.rate_limiter
        assert limiter is not None

        def timed(action: str, product: str) -> None:
            started = time.perf_counter()
            limiter(action, product)
            if current_priority() is Priority.USER:
                in_limiter.append((time.perf_counter() - started) * 1000)

        shared.rate_limiter = timed  # no deadline outside a view: the limiter is asked exactly as before

        def user_calls() -> None:
            client = get_client()
            try:
                while not done.is_set():
                    started = time.perf_counter()
                    services.refresh(mine, source="refresh", client=client)
                    waits.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.3)
            finally:
                connection.close()

        user_thread = threading.Thread(target=user_calls)
        started = time.perf_counter()
        user_thread.start()
        try:
            report = services.sync_waiting(batch_size=due)
            length = time.perf_counter() - started
        finally:
            done.set()
            user_thread.join()
    assert report.checked == due, report
    checks = sim.control.calls("CheckResult")
    swept = Arrivals.of([call for call in checks if call["params"].get("MerchantBizId") != mine.merchant_biz_id])
    rate = swept.per_second(window)
    print(
        f"{name:30} user calls: median {median(waits):7.1f} ms   p95 {percentile(waits, 0.95):7.1f} ms   "
        f"worst {max(waits):7.1f} ms   ({len(waits)} calls; in the limiter: median {median(in_limiter):5.1f} ms, "
        f"p95 {percentile(in_limiter, 0.95):5.1f}, worst {max(in_limiter):5.1f})\n{'':30} sweep of {due}: "
        f"{length:5.1f} s, {rate:4.2f} CheckResult/s at the simulator ({rate / RATE:.0%} of the limit)   "
        f"busiest 1-s span of all CheckResult {Arrivals.of(checks).busiest:3d} (<= {QUOTA})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=200)
    args = parser.parse_args()
    with django_on_postgres("ekyc_bench_user_wait", CACHE_URL=CACHE_URL):
        from django_ekyc.testing import running_simulator

        with running_simulator(*SIM_KEY) as sim:
            for name, share in SETUPS.items():
                sweep(name, share, args.due, sim)


if __name__ == "__main__":
    main()
