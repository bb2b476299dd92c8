"""Prometheus metrics of the provider calls, the site's rate limit and the states transactions reach.

Optional: with ``prometheus_client`` installed the metrics live in its default registry (or the one given to
:func:`use_registry`), and each hook costs a label lookup and an increment; without it every hook returns at
once. No ORM here: the client records through this module, and the client never imports the models (the review
queue's gauges, read from the database, are :mod:`django_ekyc.services.queue_metrics`).

Label values are bounded, so that no answer can grow the series without end and no label carries an identifier:
operations and products come from the catalogue, codes and statuses must look like codes and only the first
:data:`MAX_CODES` distinct ones get a series of their own; anything else is ``Other``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django_ekyc.catalogue.operations import OPERATIONS
from django_ekyc.catalogue.pictures import PICTURE_CHECKS
from django_ekyc.catalogue.products import CATALOGUE

try:
    from prometheus_client import REGISTRY, Counter, Histogram
except ImportError:
    prometheus_available = False
else:
    prometheus_available = True

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = [
    "ClientMetrics",
    "observe_call",
    "observe_refused",
    "observe_state",
    "observe_wait",
    "outcome_code",
    "use_registry",
]

SUCCESS = "Success"
OTHER = "Other"
MAX_CODES = 100
# The site's limiter kept a call from the provider: no slot within the wait, or its cache could not be asked.
REFUSAL_REASONS = frozenset({"no_slot", "cache_unavailable"})
# Provider calls take 0.1 to 3 s and time out at the read timeout (10 s by default); slot waits last up to
# RATE_LIMIT_MAX_WAIT for users (about a second) and RATE_LIMIT_BACKGROUND_MAX_WAIT for background work (30 s).
CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class BoundedValues:
    """Label values that look like codes, up to ``limit`` distinct ones; the rest are ``Other``."""

    shape: re.Pattern[str]
    limit: int
    seen: set[str] = field(default_factory=set)

    def __call__(self, value: str) -> str:
        value = str(value)
        if value in self.seen:
            return value
        if len(self.seen) >= self.limit or not self.shape.fullmatch(value):
            return OTHER
        self.seen.add(value)
        return value


# A provider's Code (``Throttling.Api``, ``Forbidden.RAMUserAccessDenied``) or a failure kind (``EkycTimeout``).
_codes = BoundedValues(re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}"), MAX_CODES)
# A transaction's status (``passed``, ``expired``...).
_statuses = BoundedValues(re.compile(r"[a-z][a-z_]{0,31}"), 32)


def outcome_code(error: BaseException | None) -> str:
    """What a provider call came to: ``Success``, the provider's error code, or the kind of failure when no
    answer came (``EkycTimeout``, ``EkycTransportError``...), as the transaction's history records it."""
    if error is None:
        return SUCCESS
    return str(getattr(error, "code", None) or type(error).__name__)


class ClientMetrics:
    """The metric objects, all in one registry: built once for the default registry, and per test."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "ekyc_provider_calls_total",
            "Provider calls (HTTP requests, retries included), by operation and code.",
            ["operation", "code"],
            registry=registry,
        )
        self.call_seconds = Histogram(
            "ekyc_provider_call_duration_seconds",
            "Time from sending a provider call to its parsed answer or failure.",
            ["operation"],
            buckets=CALL_BUCKETS,
            registry=registry,
        )
        self.waits = Counter(
            "ekyc_ratelimit_waits_total",
            "Provider calls that waited for a slot of the site's rate limit before going out.",
            ["operation"],
            registry=registry,
        )
        self.wait_seconds = Histogram(
            "ekyc_ratelimit_wait_seconds",
            "How long the calls that waited for a slot of the site's rate limit waited.",
            ["operation"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.refused = Counter(
            "ekyc_ratelimit_refused_total",
            "Provider calls the site's rate limit kept from going out (nothing was sent).",
            ["operation", "reason"],
            registry=registry,
        )
        self.states = Counter(
            "ekyc_transaction_states_total",
            "Verifications that reached a status, by product.",
            ["product", "status"],
            registry=registry,
        )


_default: ClientMetrics | None = ClientMetrics(REGISTRY) if prometheus_available else None
_active: ClientMetrics | None = _default


def use_registry(registry: CollectorRegistry | None) -> ClientMetrics | None:
    """Record into ``registry`` from now on (``None``: the default registry again); returns the metrics then in
    use, or None without prometheus_client. For tests (a fresh ``CollectorRegistry`` each) and for a site that
    keeps its own registry; the default registry's metrics stay registered, and stop moving."""
    global _active
    if not prometheus_available:
        return None
    _active = _default if registry is None else ClientMetrics(registry)
    return _active


def _operation(action: str) -> str:
    return action if action in OPERATIONS else OTHER


def observe_call(operation: str, code: str, seconds: float) -> None:
    """One provider call (one HTTP request) and how long it took."""
    active = _active
    if active is None:
        return
    label = _operation(operation)
    active.calls.labels(label, _codes(code)).inc()
    active.call_seconds.labels(label).observe(seconds)


def observe_wait(operation: str, seconds: float) -> None:
    """A call that waited ``seconds`` for a slot of the site's rate limit, then got one."""
    active = _active
    if active is None or seconds <= 0:
        return
    label = _operation(operation)
    active.waits.labels(label).inc()
    active.wait_seconds.labels(label).observe(seconds)


def observe_refused(operation: str, reason: str) -> None:
    """A call the site's rate limit refused: ``no_slot`` within the wait, or ``cache_unavailable``."""
    active = _active
    if active is None:
        return
    active.refused.labels(_operation(operation), reason if reason in REFUSAL_REASONS else OTHER).inc()


def observe_state(product_code: str, status: str) -> None:
    """A verification of ``product_code`` reached ``status`` (the ledger calls it once per state reached)."""
    active = _active
    if active is None:
        return
    product = product_code if product_code in CATALOGUE or product_code in PICTURE_CHECKS else OTHER
    active.states.labels(product, _statuses(status)).inc()
