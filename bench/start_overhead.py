"""Per-start server overhead with the shipped defaults, beside the floor of any API read, in one run.

The site runs as shipped for production: the provider rate limit (10 a second) and the start and refresh
throttles on, counted in Redis. Three series, one request at a time: a direct Initialize to the simulator (the
provider's service time plus the client: the baseline), a start through the site under gunicorn, and a read of
one transaction through the same stack (the floor of an authenticated DRF call). Their samples are interleaved
in a random order (``--seed``) and every sample is followed by the same pause, so that the three see the same
machine (caches, other load, the cold start a pause brings) and no start waits for a rate-limit slot.

Printed: each series' median and 99th percentile, the site's overhead per start (start - direct, medians) and
the figure the project tracks, that overhead in read floors: (start - direct) / read, medians ("read floors over
the provider", aim <= 1.3).
Run: .venv/bin/python bench/start_overhead.py [--samples 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, START_BODY, direct_initialize, median, percentile, site_under_gunicorn

PACE = 0.12  # seconds after every sample: starts stay far under the default limit of 10 calls a second
WARM_UP = 20  # samples of each series, interleaved too, before the measured ones
AIM = 1.3  # read floors over the provider
SHIPPED = {
    "CACHE_URL": "redis://127.0.0.1:6379/13",
    "EKYC_RATE_LIMIT": "10",
    # The throttles run as shipped; a rate no sample reaches keeps them counting without refusing.
    "DEMO_START_THROTTLE_RATE": "100000/hour",
}
SERIES = ("direct Initialize (baseline)", "start through the site", "read one transaction (floor)")


def interleaved(
    calls: Mapping[str, Callable[[int], None]], samples: int, order: random.Random
) -> dict[str, list[float]]:
    """Milliseconds of ``samples`` calls of each series, in a shuffled order, each followed by ``PACE``."""
    plan = [(name, index) for name in calls for index in range(samples)]
    order.shuffle(plan)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for name, index in plan:
        started = time.perf_counter()
        calls[name](index)
        times[name].append((time.perf_counter() - started) * 1000)
        time.sleep(PACE)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1, help="of the order the series' samples are taken in")
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(SHIPPED["CACHE_URL"]).flushdb()
    order = random.Random(args.seed)  # noqa: S311 - an order of samples, not a secret
    with site_under_gunicorn("ekyc_bench_overhead", threads=4, **SHIPPED) as (sim_url, url, token):
        from django_ekyc.client import EkycClient

        client = EkycClient(access_key_id=SIM_KEY[0], access_key_secret=SIM_KEY[1], endpoint=sim_url)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        try:
            created = session.post(url, json=START_BODY, timeout=30)
            assert created.status_code == 201, created.text
            detail = f"{url}{created.json()['id']}/"

            def direct(index: int) -> None:
                direct_initialize(client, f"d{index}")

            def through_site(index: int) -> None:
                answer = session.post(url, json=START_BODY, timeout=30)
                assert answer.status_code == 201, answer.text

            def read_one(index: int) -> None:
                assert session.get(detail, timeout=30).status_code == 200

            calls = dict(zip(SERIES, (direct, through_site, read_one), strict=True))
            interleaved(calls, WARM_UP, order)  # every path warm
            times = interleaved(calls, args.samples, order)
        finally:
            client.close()
            session.close()
    print(
        f"{args.samples} samples of each series, interleaved (seed {args.seed}), {PACE * 1000:.0f} ms after each; "
        "shipped defaults (limit 10/s, throttles on, in Redis):"
    )
    for name, values in times.items():
        print(f"  {name:30} median {median(values):6.2f} ms   p99 {percentile(values, 0.99):6.2f} ms")
    baseline, site, floor = (median(times[name]) for name in SERIES)
    overhead = site - baseline
    verdict = "met" if overhead / floor <= AIM else "not met"
    print(
        f"  {'server overhead per start':30} median {overhead:6.2f} ms   (= read floor + {overhead - floor:.2f} ms)   "
        f"read floors over the provider {overhead / floor:.2f} (aim <= {AIM:g}: {verdict})"
    )


if __name__ == "__main__":
    main()
