"""Per-start server overhead with the shipped defaults, beside the floor of any API read, in one run.

The site runs as shipped for production: the provider rate limit (10 a second) and the start and refresh
throttles on, counted in Redis. Measured one request at a time, paced under the rate limit so that no start
waits for a slot: a direct Initialize to the simulator (the provider's service time plus the client: the
baseline), a start through the site under gunicorn, and a read of one transaction through the same stack (the
floor of an authenticated DRF call). The difference between the first two is the site's overhead per start.
Run: .venv/bin/python bench/start_overhead.py [--samples 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, START_BODY, direct_initialize, median, percentile, site_under_gunicorn, timed

PACE = 0.12  # seconds between starts: under the default limit of 10 calls a second
SHIPPED = {
    "CACHE_URL": "redis://127.0.0.1:6379/13",
    "EKYC_RATE_LIMIT": "10",
    # The throttles run as shipped; a rate no sample reaches keeps them counting without refusing.
    "EKYC_START_THROTTLE_RATE": "100000/hour",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(SHIPPED["CACHE_URL"]).flushdb()
    with site_under_gunicorn("ekyc_bench_overhead", threads=4, **SHIPPED) as (sim_url, url, token):
        from django_ekyc.client import EkycClient

        client = EkycClient(access_key_id=SIM_KEY[0], access_key_secret=SIM_KEY[1], endpoint=sim_url)

        def direct(index: int) -> None:
            direct_initialize(client, f"d{index}")

        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"

        def through_site(index: int) -> None:
            answer = session.post(url, json=START_BODY, timeout=30)
            assert answer.status_code == 201, answer.text

        created = session.post(url, json=START_BODY, timeout=30)
        detail = f"{url}{created.json()['id']}/"

        def read_one(index: int) -> None:
            assert session.get(detail, timeout=30).status_code == 200

        timed(direct, 20, PACE)  # warm up every path
        timed(through_site, 20, PACE)
        timed(read_one, 20)
        baseline = timed(direct, args.samples, PACE)
        site = timed(through_site, args.samples, PACE)
        floor = timed(read_one, args.samples)
        client.close()
        session.close()
    for name, values in (
        ("direct Initialize (baseline)", baseline),
        ("start through the site", site),
        ("read one transaction (floor)", floor),
    ):
        print(f"{name:30} median {median(values):6.2f} ms   p99 {percentile(values, 0.99):6.2f} ms")
    overhead = median(site) - median(baseline)
    print(
        f"{'server overhead per start':30} median {overhead:6.2f} ms   "
        f"p99 {percentile(site, 0.99) - percentile(baseline, 0.99):6.2f} ms   "
        f"(= read floor + {overhead - median(floor):.2f} ms)"
    )


if __name__ == "__main__":
    main()
