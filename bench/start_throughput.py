"""Start-endpoint throughput under gunicorn (threads) with 300 ms of provider latency.

The ceiling for a threaded server whose every start waits on the provider is threads / latency.
Measured in the same run: the provider's latency as the client sees it (a direct Initialize),
then the site's throughput with enough concurrent callers to keep every thread busy.
Run: .venv/bin/python bench/start_throughput.py [--threads 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import SIM_KEY, START_BODY, direct_initialize, median, site_under_gunicorn

LATENCY_MS = 300


def direct_latency(simulator_url: str, samples: int = 10) -> float:
    from django_ekyc.client import EkycClient

    client = EkycClient(access_key_id=SIM_KEY[0], access_key_secret=SIM_KEY[1], endpoint=simulator_url)
    times = []
    for index in range(samples):
        started = time.perf_counter()
        direct_initialize(client, f"direct{index}")
        times.append(time.perf_counter() - started)
    client.close()
    return median(times)


def load(url: str, token: str, callers: int, seconds: float) -> tuple[int, int, float]:
    ok, failed = [0], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def caller() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {token}"
            while time.monotonic() < stop_at:
                answer = session.post(url, json=START_BODY, timeout=30)
                with lock:
                    (ok if answer.status_code == 201 else failed)[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok[0], failed[0], time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with site_under_gunicorn("ekyc_bench_throughput", args.threads) as (sim_url, url, token):
        slow = {"fault": "slow", "action": "Initialize", "count": -1, "delay_ms": LATENCY_MS}
        requests.post(f"{sim_url}/_sim/faults", json=slow, timeout=5)
        latency = direct_latency(sim_url)
        ceiling = args.threads / latency
        load(url, token, args.threads, 2)  # warm up connections and the pool
        ok, failed, elapsed = load(url, token, args.threads * 2, args.seconds)
    throughput = ok / elapsed
    print(f"threads={args.threads}  provider latency (direct Initialize, median)={latency * 1000:.0f} ms")
    print(f"ceiling threads/latency = {ceiling:.1f} starts/s")
    print(
        f"measured: {ok} starts ({failed} failed) in {elapsed:.1f} s = {throughput:.1f} starts/s "
        f"= {throughput / ceiling:.0%} of the ceiling (aim >= 80%)"
    )


if __name__ == "__main__":
    main()
