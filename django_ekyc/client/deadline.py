"""One total time for the provider work of a request: every attempt, backoff and rate-limit wait fits in it.

A request that a person or the provider waits on (start, refresh, the return page, the callback) must answer
within the server's worker timeout, whatever the provider does. The client's own timeout and retries bound one
call but not their sum (``TIMEOUT`` (3.05, 10) with two retries is over 30 seconds), so the request's callers
enter :func:`request_deadline` and the client, in this block only:

- cuts each attempt to what remains (connect and read together, ``urllib3``'s total timeout);
- does not make a retry whose wait (backoff or ``Retry-After``) would end past the deadline;
- cuts the site rate limiter's wait to what remains, and asks it nothing when nothing remains;
- raises :class:`~django_ekyc.exceptions.EkycDeadlineExceeded` when time runs out.

Context-local (``contextvars``, like :func:`django_ekyc.ratelimit.background_calls`): each thread and task has its
own, and background work, which never enters one, keeps the client's own timeouts and retries.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django_ekyc.exceptions import EkycDeadlineExceeded

# Seconds: with less than this left, an attempt is not started (no answer could arrive in time).
MIN_ATTEMPT = 0.1


@dataclass(frozen=True)
class Deadline:
    """The moment, on ``clock``, by which the block's provider work must be over."""

    at: float
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.at - self.clock()


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("ekyc_request_deadline", default=None)


@contextlib.contextmanager
def request_deadline(seconds: float | None, *, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Provider calls made in this block end within ``seconds`` from now (None: no deadline of its own).

    Nested blocks keep the earlier end: an inner block never extends the time of the request around it.
    """
    outer = _current.get()
    if seconds is None or (outer is not None and outer.remaining() <= seconds):
        yield
        return
    token = _current.set(Deadline(clock() + seconds, clock))
    try:
        yield
    finally:
        _current.reset(token)


def remaining() -> float | None:
    """Seconds left in the current block, or None outside any."""
    deadline = _current.get()
    return None if deadline is None else deadline.remaining()


def time_for_attempt(action: str) -> float | None:
    """The seconds an attempt of ``action`` may take now (None: no deadline); raises when too little is left."""
    left = remaining()
    if left is not None and left < MIN_ATTEMPT:
        raise EkycDeadlineExceeded(
            "no time left in the request's deadline; not sent", action=action, request_sent=False
        )
    return left


def leaves_time_after(wait: float) -> bool:
    """Whether an attempt could still be made after waiting ``wait`` seconds."""
    left = remaining()
    return left is None or wait + MIN_ATTEMPT <= left
