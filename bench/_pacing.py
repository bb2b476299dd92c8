"""Shared by the benchmarks of the provider's quota: what the provider sees of a run, and a busy host.

The provider counts a call when it arrives, so these figures come from the simulator's call log (``received_at``,
stamped when the simulator has answered the call: an injected delay shifts every stamp by that delay, which no
count over a span changes). A limit of ``capacity`` calls per ``window`` seconds lets at most
``capacity x (span / window + 1)`` calls arrive over ``span`` seconds (a full window at each end): "use" divides
the arrivals by that, so a saturated limiter shows 100 % of its own ceiling whatever the run's length.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bench._support import PYTHON

HOG = "while True: pass"
QUOTA = 10  # the provider's calls per second per API (Hong Kong, Singapore)


def busiest_span(times: Sequence[float], span: float = 1.0) -> int:
    """The most moments of ``times`` within any half-open span of ``span`` seconds."""
    ordered, width = sorted(round(moment * 1e6) for moment in times), round(span * 1e6)
    best, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


def allowed(span: float, capacity: float, window: float = 1.0) -> float:
    """The most calls a limit of ``capacity`` per ``window`` seconds lets arrive over ``span`` seconds."""
    return capacity * (span / window + 1)


@dataclass(frozen=True)
class Arrivals:
    """A run's calls as the provider saw them."""

    moments: tuple[float, ...]

    @classmethod
    def of(cls, calls: Sequence[dict[str, object]]) -> Arrivals:
        return cls(tuple(sorted(float(call["received_at"]) for call in calls)))  # type: ignore[arg-type]

    @property
    def count(self) -> int:
        return len(self.moments)

    @property
    def span(self) -> float:
        """Seconds from the first arrival to the last."""
        return self.moments[-1] - self.moments[0] if self.moments else 0.0

    @property
    def busiest(self) -> int:
        """The most arrivals in any one second: what the provider's quota is counted on."""
        return busiest_span(self.moments)

    def per_second(self, window: float = 1.0) -> float:
        """Mean arrivals a second: over their span and one ``window`` (the full window at each end of a run)."""
        return self.count / (self.span + window) if self.moments else 0.0

    def use(self, capacity: float, window: float = 1.0) -> float:
        """The arrivals over what a limit of ``capacity`` per ``window`` lets through in their span."""
        return self.count / allowed(self.span, capacity, window) if self.moments else 0.0


@contextlib.contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """``count`` CPU-bound processes beside the run: the busy host on which admission and arrival drift apart."""
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        hogs.extend(subprocess.Popen([PYTHON, "-c", HOG]) for _ in range(count))
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
