"""The operator's figures: read-only, aggregated in the database, a fixed number of queries whatever the size.

The admin's operator view (:mod:`django_ekyc.admin.operator`) draws them. Verifications are counted by when they
started (``created_at``), provider calls by when they were made: frozen days from their day summaries, the last
days and the period's partial days from the raw rows (:mod:`django_ekyc.services.stats_days`). The queues (sync,
faces, deletions, review) are counted as they stand now, each through the index its own work uses. Grouped rows
come per combination of a few low-cardinality columns (product, channel, account, document, status), so Python
only ever adds up a few hundred of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext

from django_ekyc.catalogue.lookup import any_product
from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.models import (
    OPEN_REVIEW,
    DeepfakeStatus,
    FaceRecord,
    FaceStatus,
    KycTransaction,
    ReviewRule,
    Status,
)
from django_ekyc.models.transaction import CHANNEL_CHOICES
from django_ekyc.offering import account_region
from django_ekyc.outcomes import reason
from django_ekyc.services.retention import provider_deletion_pending
from django_ekyc.services.stats_calls import OperationCalls, QuotaUse, calls_from_rows, quota_today
from django_ekyc.services.stats_days import period_rows

__all__ = ["DIMENSIONS", "Counts", "Group", "OperatorReport", "Queue", "Reason", "ReviewGroup", "operator_report"]

# The breakdowns of the funnel, in the order the page shows them.
DIMENSIONS = ("product", "channel", "region", "document")
TOP_REASONS = 8


@dataclass
class Counts:
    """Verifications started in a period, by where they stand now."""

    started: int = 0
    passed: int = 0
    failed: int = 0
    abandoned: int = 0  # expired: the user never finished
    errors: int = 0  # the provider never opened it
    waiting: int = 0  # still open (created or initialized)

    @property
    def came_back(self) -> int:
        """The users who finished: the provider decided, pass or fail."""
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.came_back if self.came_back else None

    def add(self, status: str, n: int) -> None:
        self.started += n
        if status == Status.PASSED:
            self.passed += n
        elif status == Status.FAILED:
            self.failed += n
        elif status == Status.EXPIRED:
            self.abandoned += n
        elif status == Status.ERROR:
            self.errors += n
        else:
            self.waiting += n


@dataclass
class Group:
    """One value of a breakdown (a product, a channel, a region, a document) and its counts."""

    key: str
    label: str
    counts: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class Reason:
    """A failure code and how many failed with it, in the words people read."""

    code: str
    words: str
    count: int


@dataclass(frozen=True)
class Queue:
    """Work waiting now: how much, and since when (the oldest item's moment, None when empty)."""

    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class ReviewGroup:
    rule: str
    label: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class OperatorReport:
    """Everything the operator's page shows for [start, end), and the queues as they stood at ``now``."""

    start: datetime
    end: datetime
    now: datetime
    funnel: Counts
    breakdowns: Mapping[str, list[Group]]
    stopped_at: list[tuple[str, int]]
    reasons: list[Reason]
    calls: list[OperationCalls]
    quota: list[QuotaUse]
    queues: Mapping[str, Queue]
    review: list[ReviewGroup]

    @property
    def review_total(self) -> Queue:
        oldest = min((group.oldest for group in self.review if group.oldest), default=None)
        return Queue(sum(group.count for group in self.review), oldest)


def _product_label(code: str) -> str:
    product = any_product(code)
    return gettext(product.label) if product else code


def _region_of(account: str) -> tuple[str, str]:
    """The region an account's verifications live in, by code and name ("" is the default account)."""
    try:
        code = account_region(account)
    except EkycConfigurationError:  # an account since removed from the settings
        return f"?{account}", gettext("Unknown account %(name)s") % {"name": account}
    return code, gettext(REGIONS[code].label)


def _document_label(product_code: str, doc_type: str) -> str:
    if not doc_type:
        return gettext("No document (face only)")
    product = any_product(product_code)
    label = product.doc_types.get(doc_type) if product else None
    return gettext(str(label)) if label else doc_type


def _group(found: dict[str, Group], key: str, label: str) -> Group:
    """The key's group. Its name does not hang on which row came first (a document code two products share, one
    naming it): a name wins over the bare code, and of two names the first in order."""
    group = found.get(key)
    if group is None:
        group = found[key] = Group(key, label)
    elif label != key and (group.label == key or label < group.label):
        group.label = label
    return group


def _funnel(rows: Iterable[Mapping[str, Any]]) -> tuple[Counts, dict[str, list[Group]]]:
    """The totals and the four breakdowns, added up from one grouped query's rows."""
    channels = {str(code): str(label) for code, label in CHANNEL_CHOICES}
    total = Counts()
    groups: dict[str, dict[str, Group]] = {dimension: {} for dimension in DIMENSIONS}
    for row in rows:
        status, n = str(row["status"]), int(row["n"])
        product, doc_type = str(row["product_code"]), str(row["doc_type"])
        region, region_label = _region_of(str(row["account"]))
        keys = {
            "product": (product, _product_label(product)),
            "channel": (str(row["channel"]), channels.get(str(row["channel"]), str(row["channel"]))),
            "region": (region, region_label),
            "document": (doc_type, _document_label(product, doc_type)),
        }
        total.add(status, n)
        for dimension, (key, label) in keys.items():
            _group(groups[dimension], key, label).counts.add(status, n)
    ordered = {
        dimension: sorted(found.values(), key=lambda group: (-group.counts.started, group.label))
        for dimension, found in groups.items()
    }
    return total, ordered


def _endings(rows: Iterable[Mapping[str, Any]]) -> tuple[list[tuple[str, int]], list[Reason]]:
    """Where the abandoned stopped, and the failures' codes in words, from one grouped query's rows."""
    stopped: dict[str, int] = {}
    failures: dict[str, Reason] = {}
    for row in rows:
        n = int(row["n"])
        if row["status"] == Status.EXPIRED:
            page = str(row["stopped_at"]) or gettext("Unknown")
            stopped[page] = stopped.get(page, 0) + n
            continue
        code = str(row["error_code"] or row["sub_code"]) or "-"
        words = reason(KycTransaction(error_code=row["error_code"], sub_code=row["sub_code"]))
        known = failures.get(code)
        failures[code] = Reason(code, str(words or code), n + (known.count if known else 0))
    reasons = sorted(failures.values(), key=lambda found: (-found.count, found.code))[:TOP_REASONS]
    return sorted(stopped.items(), key=lambda item: (-item[1], item[0])), reasons


def _queue(rows: QuerySet[Any], oldest: str) -> Queue:
    found = rows.order_by().aggregate(count=Count("pk"), oldest=Min(oldest))
    return Queue(found["count"], found["oldest"])


def work_queues(now: datetime) -> dict[str, Queue]:
    """The background work waiting now; each count goes through the index its own work uses."""
    tx = KycTransaction.objects
    due = Q(next_check_at__lte=now) | Q(next_check_at=None)
    return {
        "sync": _queue(tx.filter(due, status=Status.INITIALIZED), "created_at"),
        "faces": _queue(tx.filter(face_status__in=[FaceStatus.PENDING, FaceStatus.CHECKING]), "completed_at"),
        "deepfake": _queue(tx.filter(deepfake__in=[DeepfakeStatus.PENDING, DeepfakeStatus.SCREENING]), "completed_at"),
        "provider_deletions": _queue(provider_deletion_pending(), "identity_purged_at"),
        "face_deletions": _queue(FaceRecord.objects.deletion_pending(), "delete_requested_at"),
    }


def review_queue() -> list[ReviewGroup]:
    """The open reviews (no decision yet) per rule, and the oldest of each (the review queue's index)."""
    rules = {str(code): str(label) for code, label in ReviewRule.choices}
    rows = (
        KycTransaction.objects.filter(review__in=sorted(OPEN_REVIEW))
        .values("review_rule")
        .annotate(n=Count("pk"), oldest=Min("review_since"))
        .order_by()
    )
    found = [
        ReviewGroup(
            row["review_rule"], rules.get(row["review_rule"], row["review_rule"] or "-"), row["n"], row["oldest"]
        )
        for row in rows
    ]
    return sorted(found, key=lambda group: (-group.count, group.label))


def operator_report(start: datetime, end: datetime, now: datetime, day_start: datetime) -> OperatorReport:
    """The whole page's figures: verifications started in [start, end) and the provider calls made then (frozen
    days from their summaries, the rest from the raw rows: :func:`~django_ekyc.services.stats_days.period_rows`),
    today's (since ``day_start``) busiest seconds, and the queues at ``now``. A dozen queries whatever the period
    (more on the load that first summarises its days)."""
    period = period_rows(start, end, now)
    funnel, breakdowns = _funnel(period.funnel)
    stopped_at, reasons = _endings(period.endings)
    return OperatorReport(
        start=start,
        end=end,
        now=now,
        funnel=funnel,
        breakdowns=breakdowns,
        stopped_at=stopped_at,
        reasons=reasons,
        calls=calls_from_rows(period.calls),
        quota=quota_today(day_start, now),
        queues=work_queues(now),
        review=review_queue(),
    )
