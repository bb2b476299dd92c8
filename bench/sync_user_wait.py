"""The wait of calls a person is waiting for, during a full sync sweep, under the site's limit of 10 a second.

200 transactions are due at once; one sync pass checks them all (background calls) while a user asks about their
own transaction every 0.3 s (a refresh: a user call). Printed in the same run: with priorities (shipped:
background work uses at most half the limit and yields) and without (the baseline: sync and users share one
budget, as before), the user calls' time (median, 95th percentile, worst) and the sweep's length.
Run: .venv/bin/python bench/sync_user_wait.py [--due 200]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, demo_user, django_on_postgres, median, percentile

CACHE_URL = "redis://127.0.0.1:6379/11"
SETUPS = {"without priorities (baseline)": 1.0, "with priorities (shipped)": 0.5}


def sweep(name: str, share: float, due: int, sim: object) -> None:
    import redis
    from django.db import connection
    from django.test import override_settings
    from django.utils import timezone

    from django_ekyc import services
    from django_ekyc.client import get_client
    from django_ekyc.models import KycTransaction

    redis.Redis.from_url(CACHE_URL).flushdb()
    sim.control.reset()  # type: ignore[attr-defined]
    KycTransaction.objects.all().delete()
    fast = sim.ekyc_settings(RATE_LIMIT=None, CALLBACK_ENABLED=False)  # type: ignore[attr-defined]
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
    limited = sim.ekyc_settings(  # type: ignore[attr-defined]
        RATE_LIMIT=10, RATE_LIMIT_BACKGROUND_SHARE=share, RATE_LIMIT_BACKGROUND_MAX_WAIT=120, RATE_LIMIT_MAX_WAIT=30
    )
    waits: list[float] = []
    with override_settings(EKYC=limited):
        done = threading.Event()

        def user_calls() -> None:
            client = get_client()
            while not done.is_set():
                started = time.perf_counter()
                services.refresh(mine, source="refresh", client=client)
                waits.append((time.perf_counter() - started) * 1000)
                time.sleep(0.3)
            connection.close()

        user_thread = threading.Thread(target=user_calls)
        started = time.perf_counter()
        user_thread.start()
        report = services.sync_waiting(batch_size=due)
        length = time.perf_counter() - started
        done.set()
        user_thread.join()
    assert report.checked == due, report
    print(
        f"{name:30} user calls: median {median(waits):7.1f} ms   p95 {percentile(waits, 0.95):7.1f} ms   "
        f"worst {max(waits):7.1f} ms   ({len(waits)} calls)   sweep of {due}: {length:5.1f} s"
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
