"""The site-wide rate limit: shared through the cache, waiting briefly or failing fast, across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from django_ekyc.ratelimit import CacheRateLimiter, EkycRateLimited

from .helpers import LIST_URL, start_body

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, **options) -> CacheRateLimiter:
    return CacheRateLimiter(clock=clock, sleep=clock.sleep, **{"rate": 3, "max_wait": 1.0, **options})


def test_allows_the_rate_then_waits_for_the_next_window():
    clock = FakeClock(1000.25)
    take = limiter(clock)
    for _ in range(3):
        take("Initialize")
    assert clock.slept == []
    take("Initialize")
    assert len(clock.slept) == 1 and 0.75 <= clock.slept[0] <= 0.76  # until 1001.0, plus jitter
    assert int(clock.now) == 1001


def test_each_api_has_its_own_budget():
    clock = FakeClock(2000.5)
    take = limiter(clock)
    for _ in range(3):
        take("Initialize")
        take("CheckResult")
    assert clock.slept == []


def test_fails_fast_when_waiting_is_not_allowed():
    clock = FakeClock(3000.5)
    take = limiter(clock, max_wait=0)
    for _ in range(3):
        take("CheckResult")
    with pytest.raises(EkycRateLimited) as caught:
        take("CheckResult")
    assert caught.value.code == "RateLimited.Local"
    assert caught.value.retry_after is not None and 0.5 <= caught.value.retry_after <= 0.52
    assert "3 CheckResult calls" in str(caught.value)


def test_groups_are_counted_apart():
    clock = FakeClock(4000.1)
    brand_a, brand_b = limiter(clock, group="a", max_wait=0), limiter(clock, group="b", max_wait=0)
    for _ in range(3):
        brand_a("Initialize")
        brand_b("Initialize")
    with pytest.raises(EkycRateLimited):
        brand_a("Initialize")


@pytest.mark.django_db(transaction=True)
def test_a_limited_start_answers_503_and_sends_nothing(api, simulator):
    with override_settings(EKYC=simulator.ekyc_settings(RATE_LIMIT=1, RATE_LIMIT_MAX_WAIT=0, START_THROTTLE_RATE=None)):
        answers = [api.post(LIST_URL, start_body(), format="json") for _ in range(3)]
    codes = [(a.status_code, a.json().get("code")) for a in answers]
    assert (201, None) in codes and (503, "provider_throttled") in codes
    assert len(simulator.control.calls("Initialize")) < 3


WORKER = """
import json, sys, time
import django
from django.conf import settings
url, prefix, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": prefix}},
    EKYC={"ACCESS_KEY_ID": "LTAI-test-access-key-id", "ACCESS_KEY_SECRET": "test-access-key-secret-not-real",
          "ENDPOINT": url, "RATE_LIMIT": 5, "RATE_LIMIT_MAX_WAIT": 30},
)
django.setup()
from django_ekyc.client import EkycClient
from django_ekyc.exceptions import EkycBadRequest
client = EkycClient.from_settings()
for _ in range(calls):
    try:
        client.check_result(merchant_biz_id="b", transaction_id="hksnone")
    except EkycBadRequest:
        pass
print(json.dumps({"done": calls}))
"""


def redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379 (CI and these machines run one)")
def test_several_processes_share_one_limit_through_redis(simulator):
    """Four processes, 10 calls each, 5 per second for the whole site: the simulator sees at most 5 a second."""
    prefix = f"ekyc-test-{time.time_ns()}"
    started = time.monotonic()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, simulator.url, prefix, "10"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    elapsed = time.monotonic() - started
    assert all(json.loads(out.strip().splitlines()[-1]) == {"done": 10} for out in outputs)
    calls = simulator.control.calls("CheckResult")
    assert len(calls) == 40
    per_second: dict[int, int] = {}
    for call in calls:
        per_second[int(call["received_at"])] = per_second.get(int(call["received_at"]), 0) + 1
    # Unlimited, the 40 calls would land within a fraction of a second. Fixed windows admit at most
    # twice the rate in any one second (a call admitted just before a boundary may land after it) ...
    assert max(per_second.values()) <= 2 * 5
    # ... and 40 calls at 5 a second cannot take less than ~7 s.
    assert elapsed >= 40 / 5 - 1.5
