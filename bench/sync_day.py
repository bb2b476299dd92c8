"""A simulated day of background sync: CheckResult calls per settled and per abandoned transaction.

2,000 verifications start over the first twelve hours; 55 % of the users finish on the provider's page (after
minutes: log-normal, median 4 minutes, never past the provider's 30), the rest leave. No callback arrives and
nobody comes back to the return page: sync alone finds every outcome. A pass runs every minute of simulated
time (``sync_waiting(now=...)``) against the simulator, for 25 hours. Printed for the shipped schedule (first
check after 7 minutes, then 21, a last check once the provider's 30 minutes are over, then expiry) and, in the
same run, for the schedule it replaced (the baseline: after 1 minute, doubling up to an hour, expiry after 24 h).
Run: .venv/bin/python bench/sync_day.py [--transactions 2000]
"""

from __future__ import annotations

import argparse
import collections
import math
import random
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, demo_user, django_on_postgres

SCHEDULES = {
    "previous schedule (baseline)": {
        "SYNC_INTERVAL": 60,
        "SYNC_BACKOFF": 2,
        "SYNC_MAX_INTERVAL": 3600,
        "COMPLETION_WINDOW": 10**9,
    },
    "shipped schedule": {},
}


def completion_minutes(rng: random.Random) -> float | None:
    """When a user finishes, in minutes after the start; None for one who leaves."""
    if rng.random() >= 0.55:
        return None
    return min(29.0, rng.lognormvariate(math.log(4), 0.9))


def simulate(name: str, overrides: Mapping[str, float], count: int, sim: object) -> None:
    from django.test import override_settings
    from django.utils import timezone

    from django_ekyc import services
    from django_ekyc.models import KycTransaction

    sim.control.reset()  # type: ignore[attr-defined]
    settings = sim.ekyc_settings(CALLBACK_ENABLED=False, RATE_LIMIT=None, **overrides)  # type: ignore[attr-defined]
    rng, day = random.Random(20261126), timezone.now()  # noqa: S311 - a simulation, not a secret
    with override_settings(EKYC=settings):
        user, finishes = demo_user(), {}
        for _ in range(count):
            started = services.start_verification(
                user=user, doc_type="01000000", meta_info='{"deviceType":"web"}', build_url=lambda p: f"https://x{p}"
            )
            kyc = started.transaction
            at = day + timedelta(seconds=rng.uniform(0, 12 * 3600))
            first = at + timedelta(seconds=settings.get("SYNC_INTERVAL", 420))
            KycTransaction.objects.filter(pk=kyc.pk).update(created_at=at, next_check_at=first)
            minutes = completion_minutes(rng)
            if minutes is not None:
                finishes[kyc.transaction_id] = at + timedelta(minutes=minutes)
        pending = sorted(finishes.items(), key=lambda item: item[1])
        for minute in range(25 * 60):
            now = day + timedelta(minutes=minute)
            while pending and pending[0][1] <= now:
                sim.control.complete(pending.pop(0)[0], "pass")  # type: ignore[attr-defined]
            services.sync_waiting(now=now, batch_size=count)
    checks = collections.Counter(call["params"]["TransactionId"] for call in sim.control.calls("CheckResult"))  # type: ignore[attr-defined]
    rows = KycTransaction.objects.all()
    settled = [checks[kyc.transaction_id] for kyc in rows if kyc.transaction_id in finishes]
    abandoned = [checks[kyc.transaction_id] for kyc in rows if kyc.transaction_id not in finishes]
    events = max(kyc.events.count() for kyc in rows)
    print(
        f"{name:30} settled {len(settled):4d}: {sum(settled) / len(settled):4.2f} calls each   "
        f"abandoned {len(abandoned):4d}: {sum(abandoned) / len(abandoned):5.2f} calls each (max {max(abandoned)})   "
        f"most history rows {events}"
    )
    rows.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=2000)
    args = parser.parse_args()
    with django_on_postgres("ekyc_bench_sync_day", CACHE_URL="locmemcache://"):
        from django_ekyc.testing import running_simulator

        with running_simulator(*SIM_KEY) as sim:
            for name, overrides in SCHEDULES.items():
                simulate(name, overrides, args.transactions, sim)


if __name__ == "__main__":
    main()
