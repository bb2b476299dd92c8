"""Per-start server overhead: what the site adds on top of the provider's own service time.

Measured in the same run, one request at a time: a direct Initialize to the simulator (the baseline:
the provider's service time plus the client), then a start through the site under gunicorn (DRF,
validation, the transaction row, its history, the Initialize, the state change). The difference is
the site's overhead per start. Run: .venv/bin/python bench/start_overhead.py [--samples 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, START_BODY, direct_initialize, median, percentile, site_under_gunicorn


def timed(call, samples: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for index in range(samples):
        started = time.perf_counter()
        call(index)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with site_under_gunicorn("ekyc_bench_overhead", threads=4) as (sim_url, url, token):
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

        timed(direct, 20)  # warm up every path
        timed(through_site, 20)
        timed(read_one, 20)
        baseline = timed(direct, args.samples)
        site = timed(through_site, args.samples)
        floor = timed(read_one, args.samples)
        client.close()
        session.close()
    for name, values in (
        ("direct Initialize (baseline)", baseline),
        ("start through the site", site),
        ("read one transaction", floor),
    ):
        print(f"{name:30} median {median(values):6.2f} ms   p99 {percentile(values, 0.99):6.2f} ms")
    print(
        f"{'server overhead per start':30} median {median(site) - median(baseline):6.2f} ms   "
        f"p99 {percentile(site, 0.99) - percentile(baseline, 0.99):6.2f} ms   (aim < 5 ms)"
    )


if __name__ == "__main__":
    main()
