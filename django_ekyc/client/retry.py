"""When a failed provider call may be sent again, and after how long: a plain object, no HTTP.

The rules, each one a line of :meth:`RetryPolicy.delay`:

- never beyond ``max_retries`` extra attempts;
- ``Throttling.*``: wait as long as ``x-acs-retry-after`` says (up to ``max_wait``; longer fails at once),
  else back off;
- no answer (refused, dropped, timed out): back off and retry, unless the request may have reached the
  provider and the operation is not idempotent (``Initialize`` opens a billed verification);
- ``ServiceUnavailable`` (or a bare 503): back off and retry;
- anything else (bad parameters, credentials, ``InternalError``, malformed answers): never.

Backoff doubles per attempt from ``backoff`` up to ``max_wait``, with "equal jitter": a uniform draw in the upper
half of the ceiling, so that callers who failed together do not retry together.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django_ekyc.exceptions import EkycConfigurationError, EkycError, EkycThrottled, EkycTransportError


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    backoff: float = 0.25
    max_wait: float = 5.0
    uniform: Callable[[float, float], float] = field(default=random.uniform, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff < 0 or self.max_wait < 0:
            raise EkycConfigurationError("Retry settings must not be negative.")

    def delay(self, error: EkycError, attempt: int, *, idempotent: bool) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` (0-based), or None when it must not be retried."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, EkycThrottled) and (error.code or "").startswith("Throttling"):
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= self.max_wait else None
            return self.backoff_for(attempt)
        if isinstance(error, EkycTransportError):
            # A non-idempotent call that may have reached the provider is never sent again, whether it
            # timed out or the connection broke afterwards.
            if error.request_sent and not idempotent:
                return None
            return self.backoff_for(attempt)
        if error.code == "ServiceUnavailable" or (error.status == 503 and error.code is None):
            return self.backoff_for(attempt)
        return None

    def backoff_for(self, attempt: int) -> float:
        ceiling = min(self.max_wait, self.backoff * (2**attempt))
        return self.uniform(ceiling / 2, ceiling)
