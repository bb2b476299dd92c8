"""The provider calls the history recorded, aggregated in the database: per operation, per error code, per latency
bucket, and today's busiest second against the per-second limits.

The calls' figures are sums of grouped rows (:func:`~django_ekyc.services.stats_rows.call_rows`: counts per
operation, code and latency bucket, the bucket computed in the database), whether the rows come from the raw
events or from day summaries; a percentile is known to its bucket's upper bound, never computed from loaded rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q
from django.db.models.functions import TruncSecond

from django_ekyc.catalogue.lookup import product_quota
from django_ekyc.client.configured import rate_limit
from django_ekyc.conf import ekyc_settings
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.models import EventKind, KycTransactionEvent
from django_ekyc.models.stats import UNTIMED
from django_ekyc.services.ledger import RATE_LIMITED
from django_ekyc.services.stats_rows import LATENCY_BOUNDS_MS, call_rows

__all__ = ["LATENCY_BOUNDS_MS", "OperationCalls", "QuotaUse", "calls_by_operation", "calls_from_rows", "quota_today"]

SUCCESS = "Success"
THROTTLING = "Throttling"  # the provider's codes for a refused rate: Throttling, Throttling.Api, Throttling.User...
BUCKETS = len(LATENCY_BOUNDS_MS) + 1


@dataclass(frozen=True)
class OperationCalls:
    """One operation's calls in a period: those sent (by answer code), those the site's limiter kept back, and
    the sent calls' durations per bucket of :data:`LATENCY_BOUNDS_MS` (the last bucket: slower than the last
    bound)."""

    action: str
    codes: Mapping[str, int] = field(default_factory=dict)
    rejected: int = 0
    buckets: tuple[int, ...] = (0,) * BUCKETS

    @property
    def calls(self) -> int:
        return sum(self.codes.values())

    @property
    def errors(self) -> dict[str, int]:
        """Error codes by frequency, most frequent first."""
        failed = {code: n for code, n in self.codes.items() if code != SUCCESS}
        return dict(sorted(failed.items(), key=lambda item: (-item[1], item[0])))

    @property
    def error_rate(self) -> float | None:
        return sum(self.errors.values()) / self.calls if self.calls else None

    @property
    def throttled(self) -> int:
        """Calls the provider refused for their rate (``Throttling*``)."""
        return sum(n for code, n in self.codes.items() if code.startswith(THROTTLING))

    def percentile_bucket(self, fraction: float) -> int | None:
        """The index of the bucket holding the ``fraction`` percentile (0.5: the median), None without timings.

        The percentile is at most that bucket's bound (:data:`LATENCY_BOUNDS_MS`; the last bucket has none)."""
        timed = sum(self.buckets)
        if not timed:
            return None
        needed, seen = fraction * timed, 0
        for index, count in enumerate(self.buckets):
            seen += count
            if seen >= needed:
                return index
        return len(self.buckets) - 1


@dataclass(frozen=True)
class QuotaUse:
    """Today's calls of one operation of one product through one account, and the busiest second's against the
    per-second limit the site keeps (``RATE_LIMIT`` capped by the region's and the product's quotas)."""

    account: str
    action: str
    product_code: str
    calls: int
    busiest_second: int
    limit: int | None

    @property
    def share(self) -> float | None:
        return self.busiest_second / self.limit if self.limit else None


def _in_range(start: datetime, end: datetime) -> Q:
    return Q(created_at__gte=start, created_at__lt=end)


def calls_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[OperationCalls]:
    """Calls per operation, the busiest first, added up from :func:`~django_ekyc.services.stats_rows.call_rows`'
    rows (those of day summaries and of raw events alike: every count is a sum)."""
    codes: dict[str, dict[str, int]] = {}
    rejected: dict[str, int] = {}
    buckets: dict[str, list[int]] = {}
    for row in rows:
        action, code, n = row["action"] or "-", row["code"] or "-", int(row["n"])
        if row["kind"] == EventKind.REJECTED:
            if row["code"] == RATE_LIMITED:
                rejected[action] = rejected.get(action, 0) + n
            continue
        found = codes.setdefault(action, {})
        found[code] = found.get(code, 0) + n
        if row["bucket"] != UNTIMED:
            buckets.setdefault(action, [0] * BUCKETS)[int(row["bucket"])] += n
    calls = [
        OperationCalls(
            action, codes.get(action, {}), rejected.get(action, 0), tuple(buckets.get(action, [0] * BUCKETS))
        )
        for action in {*codes, *rejected}
    ]
    return sorted(calls, key=lambda found: (-found.calls - found.rejected, found.action))


def calls_by_operation(start: datetime, end: datetime) -> list[OperationCalls]:
    """Calls per operation in [start, end), from the raw events: one grouped query (counts per latency bucket)."""
    return calls_from_rows(call_rows(_in_range(start, end)))


def _limit(account: str, product_code: str) -> int | None:
    """The per-second limit the site's limiter keeps for one API of a product through an account."""
    config: Mapping[str, Any] = ekyc_settings.ACCOUNTS.get(account, {}) if account else {}
    try:
        rate = rate_limit(dict(config), account)
    except EkycConfigurationError:  # an account since removed from the settings
        return None
    quota = product_quota(product_code)
    if rate is None:
        return quota
    return min(rate, quota) if quota else rate


def quota_today(day_start: datetime, now: datetime) -> list[QuotaUse]:
    """Today's calls per account, operation and product, and each one's busiest second: one query (the calls
    counted per second in a subquery, summed and maximised outside it)."""
    per_second = (
        KycTransactionEvent.objects.filter(_in_range(day_start, now), kind=EventKind.PROVIDER_CALL)
        .values(
            account_name=F("transaction__account"),
            operation=F("action"),
            product=F("transaction__product_code"),
            at_second=TruncSecond("created_at"),
        )
        .annotate(calls=Count("id"))
        .order_by()
    )
    inner, params = per_second.query.sql_with_params()
    sql = (
        "SELECT account_name, operation, product, SUM(calls), MAX(calls) "  # noqa: S608 - the ORM's own SQL
        f"FROM ({inner}) per_second GROUP BY account_name, operation, product"
    )
    with connections[per_second.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = [
        QuotaUse(account, action, product, int(total), int(peak), _limit(account, product))
        for account, action, product, total, peak in rows
    ]
    return sorted(found, key=lambda use: (-(use.share or 0), -use.calls, use.action))
