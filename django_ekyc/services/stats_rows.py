"""The grouped rows every period figure of the operator's page is added up from, for one filter on ``created_at``.

The same three queries serve the live part of a period (its last days, and the partial days at its edges) and the
summarising of a frozen day (:mod:`django_ekyc.services.stats_days`), so a summarised day adds up to exactly what
its raw rows would: the figures are sums of these rows, whichever way the rows came. Each row is a dict of the
family's key columns (:data:`~django_ekyc.models.stats.FUNNEL_KEYS` and the others) and ``n``, its count.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from django_ekyc.models import EventKind, KycTransaction, KycTransactionEvent, Status
from django_ekyc.models.stats import CALL_KEYS, ENDING_KEYS, FUNNEL_KEYS, UNTIMED

__all__ = ["LATENCY_BOUNDS_MS", "call_rows", "ending_rows", "funnel_rows"]

Row = dict[str, Any]

# Upper bounds of the latency buckets, in milliseconds; a last bucket holds the slower calls.
LATENCY_BOUNDS_MS = (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)
# The events the calls' figures count: calls sent, and calls the site's limiter kept back.
CALL_KINDS = (EventKind.PROVIDER_CALL, EventKind.REJECTED)
ENDED = (Status.FAILED, Status.EXPIRED)


def _counted(rows: QuerySet[Any, Row], when: Q | None, minus: Q | None) -> list[Row]:
    """``rows`` counted per group where ``when``; with ``minus``, those there are counted negative (the part of a
    summarised day outside the period: taken away from its summary)."""
    if minus is None:
        return list(rows.filter(when or Q()).annotate(n=Count("pk")))
    sign = Case(When(minus, then=Value(-1)), default=Value(1), output_field=IntegerField())
    return list(rows.filter(minus if when is None else when | minus).annotate(n=Sum(sign)))


def funnel_rows(when: Q | None, minus: Q | None = None) -> list[Row]:
    """Verifications created ``when``, counted by status and by the four breakdowns' columns."""
    return _counted(KycTransaction.objects.order_by().values(*FUNNEL_KEYS), when, minus)


def ending_rows(when: Q | None, minus: Q | None = None) -> list[Row]:
    """The failed and expired among them, by where they stopped and by their codes."""
    return _counted(KycTransaction.objects.filter(status__in=ENDED).order_by().values(*ENDING_KEYS), when, minus)


def latency_bucket() -> Case:
    """The index of the first bound of :data:`LATENCY_BOUNDS_MS` a call's duration is within; the last index past
    them, and ``UNTIMED`` without a duration. Computed in the database, so calls are counted, never loaded."""
    within = [When(duration_ms__lte=bound, then=Value(index)) for index, bound in enumerate(LATENCY_BOUNDS_MS)]
    return Case(
        When(duration_ms=None, then=Value(UNTIMED)),
        *within,
        default=Value(len(LATENCY_BOUNDS_MS)),
        output_field=IntegerField(),
    )


def call_rows(when: Q | None, minus: Q | None = None) -> list[Row]:
    """Provider-call and rejected events made ``when``, by kind, operation, answer code and latency bucket."""
    events = KycTransactionEvent.objects.filter(kind__in=CALL_KINDS).order_by().annotate(bucket=latency_bucket())
    return _counted(events.values(*CALL_KEYS), when, minus)
