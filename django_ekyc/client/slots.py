"""The site's rate-limit slot for each attempt: taken within the request's deadline, and nothing sent without one.

The limiter (:mod:`django_ekyc.ratelimit`) counts in the cache. When the cache cannot be reached, nobody can say
whether one more call fits the provider's quota, so the call is not sent: the cache's failure becomes
:class:`~django_ekyc.exceptions.EkycRateLimitUnavailable`, a kind of ``EkycRateLimited`` (not recorded as a
provider call; background sync hands its rows to the next pass), which the API and the views answer with 503
``cache_unavailable``.

Each slot is measured for :mod:`django_ekyc.metrics`: the calls that waited for one and how long (what the
limiter slept), and the calls it refused.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import threading
from collections.abc import Callable

from django_ekyc import metrics
from django_ekyc.client.deadline import MIN_ATTEMPT
from django_ekyc.exceptions import EkycRateLimited, EkycRateLimitUnavailable
from django_ekyc.ratelimit import CacheRateLimiter

# A rate limiter: called with (operation, product) before each attempt; returns when the call may go, raises
# EkycRateLimited when it may not.
Limiter = Callable[[str, str], None]

# The errors of the cache clients a site may use, when installed: Redis (redis-py, django-redis) and memcached.
CACHE_CLIENT_ERRORS = (
    ("redis.exceptions", "RedisError"),
    ("django_redis.exceptions", "ConnectionInterrupted"),
    ("pymemcache.exceptions", "MemcacheError"),
    ("pylibmc", "Error"),
)


@functools.cache
def cache_errors() -> tuple[type[Exception], ...]:
    """What a cache raises when its server cannot be reached or fails: socket errors, and its client's errors."""
    found: list[type[Exception]] = [OSError]
    for module, name in CACHE_CLIENT_ERRORS:
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def take_slot(limiter: Limiter, action: str, product: str, within: float | None) -> float:
    """Take the limiter's slot for one attempt of ``action`` of ``product``, leaving the attempt time within
    ``within`` seconds. Returns the seconds it waited for the slot (0.0 when it did not, or cannot tell)."""
    _meter(limiter)
    _waits.seconds = 0.0
    try:
        bounded(limiter, within)(action, product)
    except EkycRateLimited as err:
        metrics.observe_refused(action, "cache_unavailable" if isinstance(err, EkycRateLimitUnavailable) else "no_slot")
        raise
    except cache_errors() as err:
        metrics.observe_refused(action, "cache_unavailable")
        raise EkycRateLimitUnavailable(
            f"the site's rate limit could not be asked ({type(err).__name__}); not sent",
            action=action,
            code="RateLimited.Unavailable",
        ) from err
    waited = _waits.seconds
    metrics.observe_wait(action, waited)
    return waited


class _Waits(threading.local):
    """The seconds the limiter slept for the slot being taken, in this thread (a limiter waits in its caller's)."""

    seconds = 0.0


_waits = _Waits()


class MeteredSleep:
    """A limiter's own ``sleep``, still called as it was, that also counts what it sleeps for :func:`take_slot`."""

    __slots__ = ("sleep",)

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self.sleep = sleep

    def __call__(self, seconds: float) -> None:
        _waits.seconds += seconds
        self.sleep(seconds)


def _meter(limiter: Limiter) -> None:
    """Once per limiter: the site's limiter sleeps through :class:`MeteredSleep` (its copies in :func:`bounded`
    too). Another limiter is a plain callable: how long it waited is unknown, and counted as no wait."""
    if isinstance(limiter, CacheRateLimiter):
        current = limiter.sleep
        if not isinstance(current, MeteredSleep):
            limiter.sleep = MeteredSleep(current)


def bounded(limiter: Limiter, within: float | None) -> Limiter:
    """The limiter with its waits cut so that an attempt still fits in ``within`` seconds after them.

    The site's :class:`~django_ekyc.ratelimit.CacheRateLimiter` takes its longest wait from its fields, so a copy
    with shorter ones waits less; any other limiter is called as it is (the client then only refrains from
    asking it when no time is left).
    """
    if within is None or not isinstance(limiter, CacheRateLimiter):
        return limiter
    longest = max(0.0, within - MIN_ATTEMPT)
    if limiter.max_wait <= longest and limiter.background_max_wait <= longest:
        return limiter
    return dataclasses.replace(
        limiter,
        max_wait=min(limiter.max_wait, longest),
        background_max_wait=min(limiter.background_max_wait, longest),
    )
