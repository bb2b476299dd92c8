"""A site-wide limit on provider calls, shared by every process through Django's cache.

The provider allows 10 calls per second per API for the whole Alibaba account, across
every process and host that uses it; beyond that it answers ``Throttling.Api``. This
limiter counts calls in one-second windows in a shared cache (Redis in production:
``incr`` is atomic there) and makes a caller wait for the next window, up to
``RATE_LIMIT_MAX_WAIT``, or fail at once with :class:`EkycRateLimited`.

Fixed windows let up to twice the rate through across a window boundary in the worst
case, which is why the default rate (8) stays below the provider's 10.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.core.cache import caches

from django_ekyc.exceptions import EkycRateLimited

__all__ = ["CacheRateLimiter", "EkycRateLimited"]

KEY_PREFIX = "django_ekyc:ratelimit"


class CacheRateLimiter:
    def __init__(
        self,
        *,
        rate: int,
        group: str = "default",
        max_wait: float = 1.0,
        period: float = 1.0,
        cache_alias: str = "default",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 1 or period <= 0 or max_wait < 0:
            raise ValueError("rate must be at least 1, period positive and max_wait not negative")
        self.rate, self.group, self.max_wait, self.period = rate, group, max_wait, period
        self.cache_alias = cache_alias
        self._clock, self._sleep = clock, sleep

    def __call__(self, action: str) -> None:
        """Take a slot for one call of ``action``, waiting if the window is full."""
        deadline = self._clock() + self.max_wait
        while True:
            now = self._clock()
            window = int(now // self.period)
            if self._take(action, window):
                return
            wait = (window + 1) * self.period - now + random.uniform(0, 0.01)  # noqa: S311 - jitter
            if now + wait > deadline:
                raise EkycRateLimited(
                    f"More than {self.rate} {action} calls per {self.period:g}s across the site.",
                    action=action,
                    code="RateLimited.Local",
                    retry_after=round(wait, 3),
                )
            self._sleep(wait)

    def _take(self, action: str, window: int) -> bool:
        cache = caches[self.cache_alias]
        key = f"{KEY_PREFIX}:{self.group}:{action}:{window}"
        timeout = int(self.period * 2) + 1
        cache.add(key, 0, timeout=timeout)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=timeout)
            count = 1
        return int(count) <= self.rate
