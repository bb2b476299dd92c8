"""The site-wide rate limit where the provider counts it, on a busy host: worker processes send CheckResult to the
simulator as fast as the limit lets them, through Redis, while two CPU-bound processes keep both cores busy.

The provider counts calls when they arrive, so every figure comes from the simulator's arrival times
(``received_at``). Three scenarios, each beside its baseline in the same run and under the same load:

- **User calls** (3 processes x 3 threads, ``--seconds``): the fixed one-second windows of the first version, the
  sliding log over exactly one second (before the margin) and the shipped log over 1 s + RATE_LIMIT_MARGIN. For
  each: the busiest one-second span of arrivals (never above 10), the use of the limit, how much the delay from
  admission to arrival varied (what the margin must cover) and the time one admission costs when it waits for none.
- **Background calls** (4 processes x 2 threads inside ``background_calls()``, no user call, ``--seconds``): the
  shipped limiter (``rate_limiter()`` from the settings: margin, share and waits as shipped), which may borrow the
  whole window but one slot while no user call is in it, beside the limiter before that change (background work
  held to RATE_LIMIT_BACKGROUND_SHARE of the window, always: a log of ``rate x share`` slots on the same key).
  Mean arrivals a second, the busiest span, and the use of the provider's quota (10 a second) and of the limiter's
  ceiling (10 per 1.2 s).
- **Users come back** (the same 4 background processes, plus one user process, 2 x ``--seconds``): the user makes
  a user call every 0.5 s in visits of 4 calls, away 2 s in between (longer than the window, so that background
  work borrows the idle slots again before each return). The user calls' wait, measured in the worker as the time
  spent inside the limiter (median, 95th percentile, worst), those the limiter refused (RATE_LIMIT_MAX_WAIT as
  shipped), and the busiest span of all arrivals. ``--users 2``: two user threads come back together.

Every worker takes one slot on a key of its own before the run starts (the cache client imported and connected:
that first use costs 0.3-0.9 s, once per process). Mean rates count the arrivals over their span and one window of
the limiter (a full window at each end of a run), and "use" divides them by a limit's rate (``bench/_pacing.py``).
Run: .venv/bin/python bench/limiter.py [--seconds 8] [--no-load] [--users 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._pacing import QUOTA, Arrivals, cpu_hogs
from bench._support import PYTHON, ROOT, SIM_KEY, median, percentile
from django_ekyc.conf import DEFAULTS

if TYPE_CHECKING:
    from django_ekyc.testing import RunningSimulator

REDIS_URL = "redis://127.0.0.1:6379/12"  # keys of their own (a group per run), which expire: nothing is emptied
RATE = 10
MARGIN: float = DEFAULTS["RATE_LIMIT_MARGIN"]
SHARE: float = DEFAULTS["RATE_LIMIT_BACKGROUND_SHARE"]
WINDOW = 1 + MARGIN
LIMITERS = {
    "fixed windows (first)": ("fixed", 0.0),
    "sliding log, 1 s (before)": ("sliding", 0.0),
    f"sliding log, 1 s + {MARGIN:g} (shipped)": ("sliding", MARGIN),
}
BACKGROUND = {"before the change (share only)": "before", "shipped": "shipped"}
VISIT, PAUSE, AWAY = 4, 0.5, 2.0  # a visit's user calls, the seconds between them, the seconds away after a visit

WORKER = r"""
import contextvars, json, sys, threading, time
import django
from django.conf import settings
job = json.loads(sys.argv[1])
settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": job["redis"]}},
    EKYC={"ACCESS_KEY_ID": job["key"], "ACCESS_KEY_SECRET": job["secret"], "ENDPOINT": job["sim"],
          "RATE_LIMIT": job["rate"]},
)
django.setup()
from django.core.cache import cache
from django_ekyc.client import EkycClient
from django_ekyc.client.configured import rate_limiter
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycBadRequest, EkycRateLimited
from django_ekyc.ratelimit import CacheRateLimiter, background_calls

mode, role, group, rate = job["mode"], job["role"], job["group"], job["rate"]
admitted, waits, refused, lock, current = {}, {}, [], threading.Lock(), threading.local()


def admit(action, moment):
    admitted[current.call] = moment


class FixedWindows:
    # The first limiter: a counter per calendar second (add, then incr), then wait for the next second.
    def __call__(self, action, product):
        while True:
            now = time.time()
            window = f"{group}:{action}:{int(now)}"
            cache.add(window, 0, timeout=3)
            if cache.incr(window) <= rate:
                return admit(action, time.time())
            time.sleep(int(now) + 1 - now)


class ShareOnly:
    # Background work as the limiter held it before idle borrowing: admitted while the window holds fewer than
    # rate x share calls of any kind. A log of that many slots on the same key, asked at user priority (a fresh
    # context), admits exactly then.
    def __init__(self):
        share, longest = ekyc_settings.RATE_LIMIT_BACKGROUND_SHARE, ekyc_settings.RATE_LIMIT_BACKGROUND_MAX_WAIT
        self.log = CacheRateLimiter(rate=int(rate * share), group=group, max_wait=longest, on_admit=admit)

    def __call__(self, action, product):
        contextvars.Context().run(self.log, action, product)


if mode == "fixed":
    limiter = FixedWindows()
elif mode == "sliding":
    limiter = CacheRateLimiter(rate=rate, group=group, margin=job["margin"], max_wait=60, on_admit=admit)
elif mode == "before" and role == "background":
    limiter = ShareOnly()
else:  # the shipped limiter, built from the settings as the site builds it
    limiter = rate_limiter(group)
    limiter.on_admit = admit


def timed(action, product):
    started = time.perf_counter()
    try:
        limiter(action, product)
    finally:
        waits[current.call] = time.perf_counter() - started


client = EkycClient.from_settings(rate_limiter=timed, max_retries=0)


def call(name):
    current.call = name
    try:
        client.check_result(merchant_biz_id=name, transaction_id="hksnone")
    except EkycBadRequest:
        pass  # the simulator knows no such transaction: the call arrived, which is all that counts here
    except EkycRateLimited:
        with lock:
            refused.append(name)  # nothing was sent


def flat_out(thread):
    calls = 0
    while time.time() < deadline:
        call(f"{job['name']}x{thread}x{calls}")
        calls += 1


def background(thread):
    with background_calls():
        flat_out(thread)


def user(thread):
    calls, moment = 0, started + job["away"]
    while moment < deadline:
        for _ in range(job["visit"]):
            time.sleep(max(0.0, moment - time.time()))
            call(f"user{thread}x{calls}")
            calls += 1
            moment += job["pause"]
        moment += job["away"] - job["pause"]


current.call = "warm-up"
limiter("WarmUp", "")  # a key of its own, nothing sent: the cache client imported and connected before the run
admitted.clear()
print("ready", flush=True)
sys.stdin.readline()  # go: every process of the run starts together
started = time.time()
deadline = started + job["seconds"]
target = {"plain": flat_out, "background": background, "user": user}[role]
threads = [threading.Thread(target=target, args=(index,)) for index in range(job["threads"])]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"admitted": admitted, "waits": waits, "refused": refused}))
"""


def job(mode: str, role: str, name: str, threads: int, seconds: float, margin: float = MARGIN) -> dict[str, Any]:
    return {"mode": mode, "role": role, "name": name, "threads": threads, "seconds": seconds, "margin": margin}


def run(sim: RunningSimulator, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the worker processes of ``jobs`` together on a group of their own; what they saw, and the arrivals."""
    sim.control.reset()
    shared = {"group": f"bench-{uuid.uuid4().hex}", "rate": RATE, "redis": REDIS_URL, "sim": sim.url}
    shared.update(zip(("key", "secret"), SIM_KEY, strict=True), visit=VISIT, pause=PAUSE, away=AWAY)
    processes: list[subprocess.Popen[str]] = []
    try:
        for spec in jobs:
            command = [PYTHON, "-c", WORKER, json.dumps({**spec, **shared})]
            pipe = subprocess.PIPE
            processes.append(subprocess.Popen(command, cwd=ROOT, text=True, stdin=pipe, stdout=pipe))
        for process in processes:  # every process set up (Django, the client, the cache) before any starts
            if process.stdout is None or process.stdout.readline().strip() != "ready":
                raise SystemExit("a worker process failed to start (its traceback is above)")
        for process in processes:
            if process.stdin is not None:
                process.stdin.write("go\n")
                process.stdin.flush()
        longest = max(spec["seconds"] for spec in jobs) + 120
        outputs = [process.communicate(timeout=longest)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    if any(process.returncode for process in processes):
        raise SystemExit("a worker process failed (its traceback is above)")
    results = [json.loads(output) for output in outputs]
    merged: dict[str, Any] = {key: {} for key in ("admitted", "waits")}
    for result in results:
        for key in merged:
            merged[key].update(result[key])
    merged["refused"] = [name for result in results for name in result["refused"]]
    merged["arrived"] = {call["params"]["MerchantBizId"]: call for call in sim.control.calls("CheckResult")}
    return merged


def compare_user_limits(sim: RunningSimulator, seconds: float) -> None:
    print(f"User calls: 3 processes x 3 threads for {seconds:g} s, limit {RATE} a second; at the simulator:")
    for name, (algorithm, margin) in LIMITERS.items():
        seen = run(sim, [job(algorithm, "plain", f"p{index}", 3, seconds, margin) for index in range(3)])
        arrivals = Arrivals.of(list(seen["arrived"].values()))
        moments = {call: arrived["received_at"] for call, arrived in seen["arrived"].items()}
        gaps = [moments[call] - seen["admitted"][call] for call in moments if call in seen["admitted"]]
        costs = [wait * 1000 for wait in seen["waits"].values() if wait < 0.02]  # no wait in them
        print(
            f"  {name:32} busiest 1-s span {arrivals.busiest:3d} calls   mean use {arrivals.use(RATE):6.1%}   "
            f"admission-to-arrival jitter {(max(gaps) - min(gaps)) * 1000:5.0f} ms   "
            f"one admission {median(costs) if costs else float('nan'):.2f} ms"
        )


def background_alone(sim: RunningSimulator, seconds: float) -> None:
    shared = int(RATE * SHARE)
    idle = max(RATE - 1, shared, 1)  # as CacheRateLimiter.ask() has it: all but one slot, never under the share
    print(
        f"Background calls alone: 4 processes x 2 threads for {seconds:g} s; the limiter's ceiling {RATE} per "
        f"{WINDOW:g} s = {RATE / WINDOW:.2f}/s (background: {idle} per {WINDOW:g} s = {idle / RATE:.0%} of it while "
        f"no user call is in the window, {shared} = {SHARE:.0%} before the change); at the simulator:"
    )
    for name, mode in BACKGROUND.items():
        seen = run(sim, [job(mode, "background", f"b{index}", 2, seconds) for index in range(4)])
        arrivals = Arrivals.of(list(seen["arrived"].values()))
        rate = arrivals.per_second(WINDOW)
        print(
            f"  {name:32} {rate:5.2f} calls/s   busiest 1-s span {arrivals.busiest:3d} (<= {QUOTA})   "
            f"use of the quota {rate / QUOTA:6.1%}   of the limiter's ceiling {rate / (RATE / WINDOW):6.1%}   "
            f"refused {len(seen['refused'])}"
        )


def users_come_back(sim: RunningSimulator, seconds: float, people: int) -> None:
    print(
        f"Users come back: the 4 background processes for {seconds:g} s, and {people} user thread(s), each making a "
        f"user call every {PAUSE:g} s in "
        f"visits of {VISIT}, {AWAY:g} s away in between; user calls' time in the limiter, and at the simulator:"
    )
    for name, mode in BACKGROUND.items():
        jobs = [job(mode, "background", f"b{index}", 2, seconds) for index in range(4)]
        seen = run(sim, [*jobs, job(mode, "user", "user", people, seconds)])
        users = [wait * 1000 for call, wait in seen["waits"].items() if call.startswith("user")]
        background = Arrivals.of([call for key, call in seen["arrived"].items() if not key.startswith("user")])
        print(
            f"  {name:32} user calls: median {median(users):6.1f} ms   p95 {percentile(users, 0.95):6.1f} ms   "
            f"worst {max(users):6.1f} ms   refused {len(seen['refused'])} of {len(users)}   busiest 1-s span "
            f"{Arrivals.of(list(seen['arrived'].values())).busiest:3d} (<= {QUOTA})   "
            f"background {background.per_second(WINDOW):.2f} calls/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="each run's length (users come back: 2x)")
    parser.add_argument("--no-load", action="store_true", help="without the two CPU-bound processes")
    parser.add_argument("--users", type=int, default=1, help="user threads coming back together")
    args = parser.parse_args()
    from django_ekyc.testing import running_simulator

    load = "no CPU-bound process added" if args.no_load else "2 CPU-bound processes beside the workers"
    print(f"Limit {RATE} a second through Redis, CheckResult of no product, {load}.")
    with running_simulator(*SIM_KEY) as sim, cpu_hogs(0 if args.no_load else 2):
        compare_user_limits(sim, args.seconds)
        background_alone(sim, args.seconds)
        users_come_back(sim, 2 * args.seconds, args.users)


if __name__ == "__main__":
    main()
