"""A site-wide limit on provider calls: never more than ``rate`` arriving at the provider in any one-second span,
across every process and host, with calls a person is waiting for served first.

The provider allows 10 calls per second per API for the whole Alibaba account (3 in Jakarta and Kuala Lumpur) and
counts them when they **arrive**; beyond that it answers ``Throttling.Api``. The limiter can only time a call when
it **admits** it, and between the two lie the rest of the client's work, the network and, on a busy host, however
long the scheduler keeps the thread waiting. So the limiter keeps, per API and rate limit group, a log of the
calls admitted in the last ``1 s + margin`` (``RATE_LIMIT_MARGIN``, default 0.2 s), and admits a call only while
that log holds fewer than its capacity:

- **The bound at the limiter.** A call is admitted at time *a* only if fewer than ``rate`` calls were admitted in
  (*a* - *W*, *a*], *W* = 1 s + margin. Any span [*x*, *x* + *W*) then holds at most ``rate`` admissions: when
  its last call was admitted, every earlier call of the span was within *W* before it and was counted.
- **The bound at the provider.** Say call *i* is admitted at *a_i* and arrives at *r_i* = *a_i* + *g_i*, and
  assume the gaps vary by at most the margin: *g_min* <= *g_i* <= *g_min* + margin for every call (a constant
  offset between the clocks is part of *g_min* and cancels). The calls arriving in a span [*t*, *t* + 1 s) were
  admitted in [*t* - *g_min* - margin, *t* + 1 s - *g_min*), a span of length *W*: at most ``rate`` of them.
- **Why the margin.** With a one-second log, the call that takes a freed slot is admitted one second after the
  call that held it; when that earlier call spent longer on its way, the provider receives the two less than a
  second apart and counts both in one second. Under a CPU-bound load that put 13 arrivals in one second at a limit
  of 10. On a busy host the gaps vary by tens of milliseconds (``bench/limiter.py`` prints it); raise the margin
  when the hosts are far from the provider (a new TLS connection adds round trips to one call and not to the
  next). Stamping the slot when the request leaves would shrink the variation, not end it (the network and the
  provider's side remain), and the slot is taken before the client signs and sends.
- **The price.** Saturated, the log admits ``rate`` calls per *W*: ``rate / (1 + margin)`` a second, 83 % of the
  quota at the default, where a one-second log overshoots it and the provider refuses the excess. A call that
  finds the window full waits up to *W* for the next slot: keep ``RATE_LIMIT_MAX_WAIT`` at least that.
- **Redis: one round trip.** With Django's Redis cache (or django-redis) the log is a sorted set updated by one
  Lua script (expire old entries, count, admit or say how long to wait), atomic in Redis, timed by the Redis
  server's clock so that hosts with skewed clocks share one timeline.
- **Other caches: correct and slower.** ``rate`` slot keys, each added (``cache.add``, atomic in every shared
  cache backend) for at least *W* (whole seconds, 2 s at the default) when a call takes it: no span of *W* uses a
  slot twice. A call may try every slot (up to ``rate`` round trips) and waits by polling.
- **Priorities.** User-facing calls (start, return, callback, refresh) may use the whole capacity. Background
  calls (sync, provider deletions; marked with :func:`background_calls`) get ``rate * background_share`` of it
  (counting calls of any kind) while users are present, that is while a user call was admitted in the last
  ``USER_PRESENCE`` seconds: users then always find at least ``rate - rate * background_share`` calls at once, and
  a user call never queues behind background work. When users have been away that long, background work borrows
  their part too, all of the capacity but one slot, its calls spaced ``window / (rate - 1)`` apart (so that slots
  free one at a time): a backlog clears at the quota's pace at night; the first user to come back finds the kept
  slot at once and stops the borrowing; a second one in the same window waits at most for the next borrowed slot
  to free (one spacing, 0.13 s at the defaults). Users are seen in a second sorted set updated by the same
  script (the cache-slot fallback marks them with a key of its own, and does not space background calls).

A caller waits up to its ``max_wait`` (longer for background work, which nobody watches) for a slot, then fails
with :class:`~django_ekyc.exceptions.EkycRateLimited` (nothing was sent).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from django.core.cache import caches

from django_ekyc.catalogue.lookup import product_quota
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycRateLimited

KEY_PREFIX = "django_ekyc:ratelimit"
WINDOW = 1.0  # seconds: the provider counts calls per second
# Seconds without a user call after which background work may borrow the users' part of the quota: a person's
# calls come a few seconds apart (start, return, refresh), so a gap this long means nobody is in the middle of one.
USER_PRESENCE = 10.0


class Priority(StrEnum):
    USER = "user"  # a person is waiting for it
    BACKGROUND = "background"  # sync, provider deletions


_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar("ekyc_call_priority", default=Priority.USER)


def current_priority() -> Priority:
    return _priority.get()


@contextlib.contextmanager
def background_calls() -> Iterator[None]:
    """Provider calls made in this block are background work: they yield to the calls users wait for."""
    token = _priority.set(Priority.BACKGROUND)
    try:
        yield
    finally:
        _priority.reset(token)


# KEYS[1]: the sorted set of admitted calls (score: ms); KEYS[2]: the user calls of the last USER_PRESENCE. ARGV:
# now in ms ('' = the Redis server's clock), the window in ms, the capacity while users are present, the capacity
# while none is, a unique member, '1' for a user call, USER_PRESENCE in ms, the spacing of background calls while
# no user is present, in ms.
# Returns {0, the moment admitted in ms} or {the ms to wait, 0}.
SLIDING_LOG_LUA = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local window = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local presence = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - presence)
local count = redis.call('ZCARD', KEYS[1])
if ARGV[6] ~= '1' and redis.call('ZCARD', KEYS[2]) == 0 then
  capacity = tonumber(ARGV[4])
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local spacing = tonumber(ARGV[8])
  if count < capacity and newest[2] and now - tonumber(newest[2]) < spacing then
    return {tonumber(newest[2]) + spacing - now, 0}
  end
end
if capacity < 1 then
  return {window, 0}
end
if count < capacity then
  local keep = 2 * math.max(window, presence)  -- the sets trim themselves; this only drops idle keys
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], keep)
  if ARGV[6] == '1' then
    redis.call('ZADD', KEYS[2], now, ARGV[5])
    redis.call('PEXPIRE', KEYS[2], keep)
  end
  return {0, now}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - capacity, count - capacity, 'WITHSCORES')
return {math.max(1, tonumber(freeing[2]) + window - now), 0}
"""


@dataclass(frozen=True)
class Ask:
    """One admission asked of a log: the call's key, its capacities and whether a person waits for it."""

    key: str
    capacity: int  # calls per window while users are calling (all of ``rate`` for a user call)
    idle_capacity: int  # calls per window while the window holds no user call
    rate: int  # the bound: never more than this many calls per window
    user: bool


class Log(Protocol):
    def take(self, ask: Ask, window: float, now: float | None) -> tuple[float, float]:
        """Admit one call if the last ``window`` seconds hold fewer than its capacity: (0.0, the moment it was
        admitted on the log's clock), or (the seconds to wait, 0.0)."""


class RedisSlidingLog:
    """The exact sliding log in one Redis round trip (``EVALSHA`` of :data:`SLIDING_LOG_LUA`)."""

    def __init__(self, client: Any, make_key: Callable[[str], str]) -> None:
        self.script = client.register_script(SLIDING_LOG_LUA)
        self.make_key = make_key

    def take(self, ask: Ask, window: float, now: float | None) -> tuple[float, float]:
        stamp = "" if now is None else str(round(now * 1000))
        spacing = 0 if ask.user else math.ceil(window * 1000 / max(ask.idle_capacity, 1))
        args = [
            stamp,
            math.ceil(window * 1000),
            ask.capacity,
            ask.idle_capacity,
            uuid.uuid4().hex,
            int(ask.user),
            math.ceil(USER_PRESENCE * 1000),
            spacing,
        ]
        keys = [self.make_key(ask.key), self.make_key(f"{ask.key}:users")]
        wait_ms, admitted_ms = self.script(keys=keys, args=args)
        return int(wait_ms) / 1000, int(admitted_ms) / 1000


class CacheSlots:
    """The fallback for caches without scripts: ``rate`` slot keys, each held (``cache.add``) the whole window.

    The share of background calls is counted approximately here (a count, then an add), and a user call marks
    the users present for the window; the bound is exact.
    """

    POLL = 0.05

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def take(self, ask: Ask, window: float, now: float | None) -> tuple[float, float]:
        slots = [f"{ask.key}:slot:{index}" for index in range(ask.rate)]
        users = f"{ask.key}:users"
        hold = math.ceil(window)  # whole seconds: never shorter than the window, whatever the backend rounds
        if not ask.user:
            held = self.cache.get_many([*slots, users])
            capacity = ask.capacity if users in held else ask.idle_capacity
            if capacity < ask.rate and len(held) - (users in held) >= capacity:
                return self.POLL, 0.0
        if any(self.cache.add(slot, 1, timeout=hold) for slot in slots):
            if ask.user:
                self.cache.set(users, 1, timeout=math.ceil(USER_PRESENCE))
            return 0.0, time.time()
        return self.POLL, 0.0


def log_for(cache_alias: str) -> Log:
    """The sliding log on a Redis cache; slots on any other."""
    cache: Any = caches[cache_alias]
    backend = f"{type(cache).__module__}.{type(cache).__name__}"
    if backend == "django.core.cache.backends.redis.RedisCache":
        return RedisSlidingLog(cache._cache.get_client(None, write=True), cache.make_key)
    if backend == "django_redis.cache.RedisCache":
        return RedisSlidingLog(cache.client.get_client(write=True), cache.make_key)
    return CacheSlots(cache)


@dataclass
class CacheRateLimiter:
    """Takes a slot for each provider call of a rate limit group, waiting up to ``max_wait`` (user calls) or
    ``background_max_wait`` (background calls) for one. ``margin`` (None: ``RATE_LIMIT_MARGIN``) is the
    variation of the delay between admission and arrival that the bound covers."""

    rate: int
    group: str = "default"
    margin: float | None = None
    max_wait: float = 1.0
    background_share: float = 0.5
    background_max_wait: float = 30.0
    cache_alias: str = "default"
    clock: Callable[[], float] | None = None  # None: the Redis server's clock (or time.time for other caches)
    sleep: Callable[[float], None] = time.sleep
    log: Log | None = None
    # Told (action, moment) of each admission, on the log's clock: for metrics, and to count the bound exactly.
    on_admit: Callable[[str, float], None] | None = None

    def __post_init__(self) -> None:
        if self.margin is None:
            self.margin = ekyc_settings.RATE_LIMIT_MARGIN
        if self.rate < 1 or self.max_wait < 0 or self.background_max_wait < 0 or self.margin < 0:
            raise ValueError("rate must be at least 1, and the waits and the margin not negative")
        if not 0 <= self.background_share <= 1:
            raise ValueError("background_share must be between 0 and 1")

    @property
    def window(self) -> float:
        """The span the log counts: the provider's second and the margin for the delay before arrival."""
        return WINDOW + (self.margin or 0.0)

    def ask(self, action: str, product: str, priority: Priority) -> Ask:
        """What one call asks of the log: users may take the whole rate; background work its share while users
        call, and all but one slot while none does (none at all with a share of 0: the site keeps it from sync)."""
        rate = self.capacity_for(product)
        key = f"{KEY_PREFIX}:{self.group}:{product}:{action}"
        if priority is Priority.USER:
            return Ask(key, rate, rate, rate, user=True)
        share = int(rate * self.background_share)
        idle = max(rate - 1, share, 1) if self.background_share else 0
        return Ask(key, share, idle, rate, user=False)

    def capacity_for(self, product: str) -> int:
        """Calls per window for one API of ``product``: the lower of the group's rate and the product's quota (the
        provider counts each API of a product separately, per account)."""
        quota = product_quota(product)
        return min(self.rate, quota) if quota else self.rate

    def __call__(self, action: str, product: str = "") -> None:
        """Take a slot for one call of ``action`` of ``product`` at the caller's priority, waiting while the
        window is full."""
        priority = current_priority()
        background = priority is Priority.BACKGROUND
        ask = self.ask(action, product, priority)
        max_wait = self.background_max_wait if background else self.max_wait
        if self.log is None:  # once: redis-py clients and Django's shared cache backends are thread-safe
            self.log = log_for(self.cache_alias)
        log = self.log
        waited = 0.0
        while True:
            now = self.clock() if self.clock else None
            wait, admitted_at = log.take(ask, self.window, now) if ask.idle_capacity else (1.0, 0.0)
            if wait == 0:
                if self.on_admit is not None:
                    self.on_admit(action, admitted_at)
                return
            if waited + wait > max_wait:
                raise EkycRateLimited(
                    f"More than {ask.capacity} {action} calls in {self.window:g} s across the site ({priority} calls).",
                    action=action,
                    code="RateLimited.Local",
                    retry_after=round(wait, 3),
                )
            self.sleep(wait)
            waited += wait
