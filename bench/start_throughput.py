"""Start-endpoint throughput under gunicorn (1 worker, threads) with 300 ms of provider latency: the shipped
configuration, whose ceiling is the provider's quota, beside the site with no limit (the baseline), in one run.

- **Shipped**: the provider rate limit as shipped (RATE_LIMIT 10, through Redis: a log over 1 s + RATE_LIMIT_MARGIN,
  so 10 per 1.2 s) and the start throttle on, counted in Redis, at a rate no caller reaches. Its ceiling is the
  lower of threads / latency and the limiter's 10 per 1.2 s; a start that finds no slot within RATE_LIMIT_MAX_WAIT
  fails (counted, with its status).
- **Unlimited** (the baseline): the limiter and the throttles off; its ceiling is threads / latency.

Measured for each, on a site of its own: the provider's latency as the client sees it (a direct Initialize, median
of 10), then twice as many callers as threads for ``--seconds``, with two CPU-bound processes beside them
(``--no-load``: without). The provider counts calls when they arrive, so the Initialize calls are also counted in
the simulator's call log: the busiest one-second span (at most 10 with the limit) and their mean rate. The log
stamps a call when it has answered it, so after the injected 300 ms: the same shift for every call.
Run: .venv/bin/python bench/start_throughput.py [--threads 8] [--seconds 20] [--no-load]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._pacing import QUOTA, Arrivals, cpu_hogs
from bench._support import SIM_KEY, START_BODY, direct_initialize, median, site_under_gunicorn
from django_ekyc.conf import DEFAULTS

LATENCY_MS = 300
RATE = 10
WINDOW = 1 + DEFAULTS["RATE_LIMIT_MARGIN"]
SHIPPED = {  # as bench/start_overhead.py runs it, with a Redis database of its own (emptied first)
    "CACHE_URL": "redis://127.0.0.1:6379/15",
    "EKYC_RATE_LIMIT": str(RATE),
    # The throttles run as shipped; a rate no caller reaches keeps them counting without refusing.
    "DEMO_START_THROTTLE_RATE": "100000/hour",
}
SETUPS = {"unlimited (no limit, no throttle)": {}, f"shipped (limit {RATE}/s in Redis)": SHIPPED}


@dataclass
class Figures:
    latency: float  # seconds, a direct Initialize
    statuses: Counter[int]
    elapsed: float
    arrivals: Arrivals

    @property
    def throughput(self) -> float:
        return self.statuses[201] / self.elapsed


def direct_latency(simulator_url: str, samples: int = 10) -> float:
    from django_ekyc.client import EkycClient

    client = EkycClient(access_key_id=SIM_KEY[0], access_key_secret=SIM_KEY[1], endpoint=simulator_url)
    times = []
    try:
        for index in range(samples):
            started = time.perf_counter()
            direct_initialize(client, f"direct{index}")
            times.append(time.perf_counter() - started)
    finally:
        client.close()
    return median(times)


def load(url: str, token: str, callers: int, seconds: float) -> tuple[Counter[int], float]:
    """``callers`` threads starting verifications back to back for ``seconds``: each answer's status, the time."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def caller() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {token}"
            while time.monotonic() < stop_at:
                answer = session.post(url, json=START_BODY, timeout=30)
                with lock:
                    statuses[answer.status_code] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, time.monotonic() - started


def measure(threads: int, seconds: float, env: dict[str, str]) -> Figures:
    from django_ekyc.testing import SimulatorControl

    if "CACHE_URL" in env:
        import redis

        redis.Redis.from_url(env["CACHE_URL"]).flushdb()
    with site_under_gunicorn("ekyc_bench_throughput", threads, **env) as (sim_url, url, token):
        control = SimulatorControl(sim_url)
        try:
            control.add_fault("slow", "Initialize", count=-1, delay_ms=LATENCY_MS)
            latency = direct_latency(sim_url)
            load(url, token, threads, 2)  # warm up connections and the pool
            control.reset()  # the measured calls only (a reset drops the faults too: the latency again)
            control.add_fault("slow", "Initialize", count=-1, delay_ms=LATENCY_MS)
            statuses, elapsed = load(url, token, threads * 2, seconds)
            arrivals = Arrivals.of(control.calls("Initialize"))
        finally:
            control.close()
    return Figures(latency, statuses, elapsed, arrivals)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-load", action="store_true", help="without the two CPU-bound processes")
    args = parser.parse_args()
    results = {}
    with cpu_hogs(0 if args.no_load else 2):
        for name, env in SETUPS.items():
            results[name] = measure(args.threads, args.seconds, env)
    load_note = "no CPU-bound process added" if args.no_load else "2 CPU-bound processes beside them"
    print(
        f"gunicorn 1 worker x {args.threads} threads, {args.threads * 2} callers for {args.seconds:g} s, "
        f"{LATENCY_MS} ms injected provider latency, {load_note}:"
    )
    for name, figures in results.items():
        by_threads = args.threads / figures.latency
        limited = "EKYC_RATE_LIMIT" in SETUPS[name]
        ceiling = min(by_threads, RATE / WINDOW) if limited else by_threads
        which = f"{RATE} per {WINDOW:g} s" if limited and ceiling < by_threads else "threads/latency"
        failed = {code: count for code, count in sorted(figures.statuses.items()) if code != 201}
        bound = f"(<= {QUOTA})" if limited else "(no limit)"
        print(
            f"  {name:34} latency {figures.latency * 1000:4.0f} ms   {figures.throughput:5.1f} starts/s of a ceiling "
            f"{ceiling:5.1f} ({which}) = {figures.throughput / ceiling:4.0%}   {figures.statuses[201]} started, "
            f"failed {sum(failed.values())} {failed or ''}   Initialize at the simulator: "
            f"{figures.arrivals.per_second():5.1f}/s, busiest 1-s span {figures.arrivals.busiest:3d} {bound}"
        )


if __name__ == "__main__":
    main()
