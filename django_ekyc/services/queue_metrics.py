"""The review queue as Prometheus gauges, read from the database when scraped, and only then.

A collector rather than a gauge kept up to date: the queue changes in many places (review rules, decisions,
purges, the admin), and one grouped query per scrape is right by construction. It lives in the services layer
because it reads the ORM, which :mod:`django_ekyc.metrics` (imported by the client) must not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone

from django_ekyc.models import OPEN_REVIEW, KycTransaction, ReviewRule

try:
    from prometheus_client import REGISTRY
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.registry import Collector
except ImportError:
    prometheus_available = False
    Collector = object  # type: ignore[misc,assignment]  # a plain class: nothing registers it
else:
    prometheus_available = True

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["ReviewQueueCollector", "register_review_queue_collector"]

logger = logging.getLogger("django_ekyc.services")

OTHER = "other"
NO_RULE = "none"


class ReviewQueueCollector(Collector):
    """``ekyc_review_queue_transactions{rule}`` and ``ekyc_review_queue_oldest_seconds{rule}``: how many
    verifications wait for staff, and for how long the oldest has waited, for every rule (0 when none waits)."""

    def describe(self) -> list[GaugeMetricFamily]:
        """The families without samples: registering the collector queries nothing."""
        return list(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            rows = list(
                KycTransaction.objects.filter(review__in=OPEN_REVIEW)
                .values("review_rule")
                .annotate(waiting=Count("pk"), since=Min("review_since"))
                .order_by()  # no default ordering in the GROUP BY
            )
        except DatabaseError:
            # A scrape that raised would lose every other metric of the registry with it.
            logger.warning("the review queue could not be read for the metrics", exc_info=True)
            return
        yield from self._families(rows)

    def _families(self, rows: Sequence[Mapping[str, Any]] | None = None) -> Iterator[GaugeMetricFamily]:
        waiting = {rule.value: 0.0 for rule in ReviewRule}
        oldest = dict(waiting)
        now = timezone.now()
        for row in rows or ():
            rule = _rule(row["review_rule"])
            waiting[rule] = waiting.get(rule, 0.0) + float(row["waiting"])
            since = row["since"]
            if since is not None:
                age = max(0.0, (now - since).total_seconds())
                oldest[rule] = max(oldest.get(rule, 0.0), age)
        counts = GaugeMetricFamily(
            "ekyc_review_queue_transactions", "Verifications waiting for a staff review, by rule.", labels=["rule"]
        )
        ages = GaugeMetricFamily(
            "ekyc_review_queue_oldest_seconds",
            "How long the oldest verification waiting for a staff review has waited, by rule.",
            labels=["rule"],
        )
        if rows is not None:
            for rule, value in sorted(waiting.items()):
                counts.add_metric([rule], value)
                ages.add_metric([rule], oldest.get(rule, 0.0))
        yield counts
        yield ages


def _rule(value: object) -> str:
    """A label value from the known rules only: the column could hold anything an old release wrote."""
    if not value:
        return NO_RULE
    return str(value) if value in ReviewRule.values else OTHER


def register_review_queue_collector(registry: CollectorRegistry | None = None) -> ReviewQueueCollector | None:
    """Register the review queue's gauges with ``registry`` (default: prometheus_client's ``REGISTRY``) and
    return the collector; without prometheus_client, do nothing and return None. Call it once, from your
    ``AppConfig.ready()`` or ``urls.py`` (the models must be loaded), in the process that serves the scrape."""
    if not prometheus_available:
        return None
    collector = ReviewQueueCollector()
    (REGISTRY if registry is None else registry).register(collector)
    return collector
