"""The site-wide rate limit where the provider counts it: 3 processes x 3 threads sending CheckResult to the simulator
as fast as the limit lets them, for some seconds, against one limit of 10 a second through Redis, while two
CPU-bound processes keep both cores busy.

The provider counts calls when they arrive, so every figure is taken from the simulator's arrival times
(``received_at``). Printed for each limiter, in the same run and under the same load: the busiest one-second span
of arrivals (the bound: never above 10), the mean use of the limit (arrivals / what a limit of 10 allows from the
first arrival to the last: 10 x (that span + 1 s), a burst at each end), how much the delay from admission to
arrival varied (the jitter the margin must cover), and the time one admission costs when it waits for nothing.
The limiters: the fixed one-second windows of the first version, the sliding log timed at admission over exactly
one second (the limiter before the margin: the baseline), and the shipped sliding log over 1 s + RATE_LIMIT_MARGIN.
Run: .venv/bin/python bench/limiter.py [--seconds 8] [--no-load]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import PYTHON, ROOT, SIM_KEY, median

if TYPE_CHECKING:
    from django_ekyc.testing import RunningSimulator

REDIS_URL = "redis://127.0.0.1:6379/12"  # keys of their own (a group per run), which expire: nothing is emptied
RATE = 10
MARGIN = 0.2  # RATE_LIMIT_MARGIN's default
LIMITERS = {
    "fixed windows (first)": ("fixed", 0.0),
    "sliding log, 1 s (before)": ("sliding", 0.0),
    f"sliding log, 1 s + {MARGIN:g} (shipped)": ("sliding", MARGIN),
}
HOG = "while True: pass"

WORKER = r"""
import json, sys, threading, time
import django
from django.conf import settings
algorithm, group, seconds, rate, margin, redis_url, sim_url, name, key, secret = sys.argv[1:]
seconds, rate, margin = float(seconds), int(rate), float(margin)
settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}},
    EKYC={"ACCESS_KEY_ID": key, "ACCESS_KEY_SECRET": secret, "ENDPOINT": sim_url, "RATE_LIMIT": None},
)
django.setup()
from django.core.cache import cache
from django_ekyc.client import EkycClient
from django_ekyc.exceptions import EkycBadRequest
from django_ekyc.ratelimit import CacheRateLimiter

admitted, costs, lock, current = {}, [], threading.Lock(), threading.local()


def admit(action, moment):
    admitted[current.call] = moment


class FixedWindows:
    # The first limiter: a counter per calendar second (add, then incr), then wait for the next second.
    def __call__(self, action):
        while True:
            now = time.time()
            window = f"{group}:{action}:{int(now)}"
            cache.add(window, 0, timeout=3)
            if cache.incr(window) <= rate:
                return admit(action, time.time())
            time.sleep(int(now) + 1 - now)


# Admission moments as each limiter knows them: the Redis server's clock for the sliding log (told by on_admit),
# the host's clock right after the counter said yes for fixed windows. Both are this host's clock here.
limiter = (
    CacheRateLimiter(rate=rate, group=group, margin=margin, max_wait=60, on_admit=admit)
    if algorithm == "sliding"
    else FixedWindows()
)


def timed(action):
    started = time.perf_counter()
    limiter(action)
    with lock:
        costs.append(time.perf_counter() - started)


client = EkycClient.from_settings(rate_limiter=timed, max_retries=0)
deadline = time.time() + seconds


def worker(thread):
    calls = 0
    while time.time() < deadline:
        current.call = f"{name}x{thread}x{calls}"
        calls += 1
        try:
            client.check_result(merchant_biz_id=current.call, transaction_id="hksnone")
        except EkycBadRequest:
            pass  # the simulator knows no such transaction: the call arrived, which is all that counts here


threads = [threading.Thread(target=worker, args=(index,)) for index in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"admitted": admitted, "costs": costs}))
"""


def busiest_span(times: list[float], span: float = 1.0) -> int:
    ordered, width = sorted(round(moment * 1e6) for moment in times), round(span * 1e6)
    best, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


@contextlib.contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """``count`` CPU-bound processes beside the run: the busy host on which admission and arrival drift apart."""
    hogs = [subprocess.Popen([PYTHON, "-c", HOG]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def run(sim: RunningSimulator, algorithm: str, margin: float, seconds: float) -> dict[str, float]:
    sim.control.reset()
    group = f"bench-{uuid.uuid4().hex}"
    options = [algorithm, group, str(seconds), str(RATE), str(margin), REDIS_URL, sim.url]
    processes = [
        subprocess.Popen(
            [PYTHON, "-c", WORKER, *options, f"p{index}", *SIM_KEY],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(3)
    ]
    results = [json.loads(process.communicate(timeout=seconds + 120)[0]) for process in processes]
    admitted = {call: moment for result in results for call, moment in result["admitted"].items()}
    received = sim.control.calls("CheckResult")
    arrived = {call["params"]["MerchantBizId"]: call["received_at"] for call in received}
    gaps = [arrived[call] - admitted[call] for call in arrived if call in admitted]
    moments = sorted(arrived.values())
    costs = [cost * 1000 for result in results for cost in result["costs"] if cost < 0.02]  # no wait in them
    return {
        "busiest": busiest_span(moments),
        "use": len(moments) / (RATE * (moments[-1] - moments[0] + 1)),
        "jitter": (max(gaps) - min(gaps)) * 1000,
        "cost": median(costs) if costs else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-load", action="store_true", help="without the two CPU-bound processes")
    args = parser.parse_args()
    from django_ekyc.testing import running_simulator

    load = "no CPU-bound process added" if args.no_load else "2 CPU-bound processes beside them"
    print(f"3 processes x 3 threads for {args.seconds:g} s, limit {RATE} a second, Redis, {load}; at the simulator:")
    with running_simulator(*SIM_KEY) as sim, cpu_hogs(0 if args.no_load else 2):
        for name, (algorithm, margin) in LIMITERS.items():
            figures = run(sim, algorithm, margin, args.seconds)
            print(
                f"{name:32} busiest 1-s span {figures['busiest']:3d} calls   mean use {figures['use']:6.1%}   "
                f"admission-to-arrival jitter {figures['jitter']:5.0f} ms   one admission {figures['cost']:.2f} ms"
            )


if __name__ == "__main__":
    main()
