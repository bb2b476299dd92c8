"""The site-wide rate limit under load: 3 processes x 3 threads asking for as many calls as they can, for some
seconds, against one limit of 10 a second through Redis.

Prints, for the sliding log (shipped) and, in the same run, the fixed one-second windows it replaced (the
baseline, rebuilt here as it was): the busiest one-second span of admitted calls (the bound: never above 10),
the mean use of the limit (admitted calls / what a limit of 10 allows over the run), and the time one admission
costs when no wait is needed (the Redis round trips). Run: .venv/bin/python bench/limiter.py [--seconds 6]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import ROOT, median

REDIS_URL = "redis://127.0.0.1:6379/12"
RATE = 10

WORKER = r"""
import json, sys, threading, time
import django
from django.conf import settings
algorithm, group, seconds, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
settings.configure(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": sys.argv[5]}})
django.setup()
from django.core.cache import cache
from django_ekyc.ratelimit import CacheRateLimiter


class FixedWindows:
    # The limiter before: a counter per calendar second (add, then incr), then wait for the next second.
    def __call__(self, action):
        while True:
            now = time.time()
            key = f"{group}:{action}:{int(now)}"
            cache.add(key, 0, timeout=3)
            if cache.incr(key) <= rate:
                admitted.append(time.time())
                return
            time.sleep(int(now) + 1 - now)


admitted, costs, lock = [], [], threading.Lock()
# Admission moments as each limiter knows them: the Redis server's clock for the sliding log (told by on_admit),
# the host's clock right after the counter said yes for fixed windows.
take = (
    CacheRateLimiter(rate=rate, group=group, max_wait=60, on_admit=lambda action, moment: admitted.append(moment))
    if algorithm == "sliding"
    else FixedWindows()
)
deadline = time.time() + seconds


def worker():
    while time.time() < deadline:
        started = time.perf_counter()
        take("CheckResult")
        cost = time.perf_counter() - started
        with lock:
            costs.append(cost)


threads = [threading.Thread(target=worker) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"admitted": admitted, "costs": costs}))
"""


def busiest_span(times: list[float], span: float = 1.0) -> int:
    ordered, best, first = sorted(times), 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= span:
            first += 1
        best = max(best, last - first + 1)
    return best


def run(algorithm: str, seconds: float) -> dict[str, float]:
    group = f"bench-{uuid.uuid4().hex}"
    command = [sys.executable, "-c", WORKER, algorithm, group, str(seconds), str(RATE), REDIS_URL]
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    results = [json.loads(process.communicate(timeout=seconds + 120)[0]) for process in processes]
    admitted = sorted(moment for result in results for moment in result["admitted"])
    costs = [cost * 1000 for result in results for cost in result["costs"] if cost < 0.02]  # no wait in them
    # Mean use: admitted calls over what the limit allows from the first to the last admission. That span
    # holds at most RATE x (its length + 1 s) calls (a burst at each end), the most a limit of RATE can give.
    allowed = RATE * (admitted[-1] - admitted[0] + 1)
    return {
        "busiest": busiest_span(admitted),
        "use": len(admitted) / allowed,
        "cost": median(costs) if costs else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    print(f"3 processes x 3 threads for {args.seconds:g} s, limit {RATE} a second, Redis")
    for name, algorithm in (("fixed windows (baseline)", "fixed"), ("sliding log (shipped)", "sliding")):
        figures = run(algorithm, args.seconds)
        print(
            f"{name:26} busiest 1-s span {figures['busiest']:3d} calls   mean use {figures['use']:6.1%}   "
            f"one admission {figures['cost']:.2f} ms"
        )


if __name__ == "__main__":
    main()
