"""Freezing a day: its operator figures counted once from the raw rows, written as day summaries.

A day's verifications and its calls are summarised apart (the calls freeze sooner), each with its marker, in
one transaction, the marker first: the marker is unique per day, so of two
processes summarising the same day at once the second waits on the first's marker, fails on it and writes
nothing, and no day is ever counted twice. A day summarised again (:func:`summarise_day` with ``replace``) is
replaced under a lock on its marker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from django_ekyc.models import TERMINAL_STATUSES, KycTransaction, KycTransactionEvent, OperatorDaySummary, Status
from django_ekyc.models.stats import CALL, CALL_DAY, DAY, ENDING, FUNNEL, MARKED
from django_ekyc.services.stats_rows import CALL_KINDS, Row, call_rows, ending_rows, funnel_rows

__all__ = ["summarise_day", "summarise_missing"]

# The statuses a verification can still leave: what the page counts as waiting.
WAITING = sorted(set(Status) - TERMINAL_STATUSES)


def _day_span(first: date, last: date) -> Q:
    """[first, last) as moments: from UTC midnight to UTC midnight."""
    return Q(
        created_at__gte=datetime.combine(first, time.min, tzinfo=UTC),
        created_at__lt=datetime.combine(last, time.min, tzinfo=UTC),
    )


def _summary(day: date, figure: str, row: Row) -> OperatorDaySummary:
    return OperatorDaySummary(day=day, figure=figure, count=row["n"], **{k: v for k, v in row.items() if k != "n"})


def day_summaries(day: date, marker: str = DAY) -> list[OperatorDaySummary]:
    """The day's summary rows from its raw rows, the marker first: the verifications' (its count: those still
    waiting) or the calls'."""
    when = _day_span(day, day + timedelta(days=1))
    if marker == CALL_DAY:
        return [
            OperatorDaySummary(day=day, figure=CALL_DAY, count=0),
            *(_summary(day, CALL, row) for row in call_rows(when)),
        ]
    funnel = funnel_rows(when)
    waiting = sum(row["n"] for row in funnel if row["status"] in WAITING)
    return [
        OperatorDaySummary(day=day, figure=DAY, count=waiting),
        *(_summary(day, FUNNEL, row) for row in funnel),
        *(_summary(day, ENDING, row) for row in ending_rows(when)),
    ]


def summarise_day(day: date, marker: str = DAY, *, replace: bool = False) -> bool:
    """Write one day's summaries of ``marker``'s families; False when another process had (or, with ``replace``,
    the day was already as its rows are now)."""
    rows = day_summaries(day, marker)
    head, counts = rows[0], rows[1:]
    try:
        with transaction.atomic():
            if replace:
                locked = OperatorDaySummary.objects.select_for_update().filter(figure=marker, day=day).first()
                if locked is not None and locked.count == head.count:
                    return False
                OperatorDaySummary.objects.filter(figure__in=[marker, *MARKED[marker]], day=day).delete()
            head.save(force_insert=True)  # a concurrent writer of the day waits here, then fails
            OperatorDaySummary.objects.bulk_create(counts)
    except IntegrityError:
        return False
    return True


def _runs(found: Iterable[date]) -> list[list[date]]:
    """Consecutive days together: ``[1, 2, 3, 7]`` gives ``[[1, 2, 3], [7]]``."""
    runs: list[list[date]] = []
    for day in sorted(found):
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _has_rows(run: list[date], marker: str) -> bool:
    when = _day_span(run[0], run[-1] + timedelta(days=1))
    if marker == CALL_DAY:
        return KycTransactionEvent.objects.filter(when, kind__in=CALL_KINDS).exists()
    return KycTransaction.objects.filter(when).exists()


def summarise_missing(wanted: list[date], marker: str = DAY) -> int:
    """Summarise ``marker``'s families for those of ``wanted`` that have no such marker yet; returns how many this
    call wrote. A stretch of days with no row at all gets its markers in one insert (nothing to count twice)."""
    if not wanted:
        return 0
    have = set(
        OperatorDaySummary.objects.filter(figure=marker, day__gte=min(wanted), day__lte=max(wanted)).values_list(
            "day", flat=True
        )
    )
    written = 0
    for run in _runs(day for day in wanted if day not in have):
        if _has_rows(run, marker):
            written += sum(summarise_day(day, marker) for day in run)
        else:
            empty = [OperatorDaySummary(day=day, figure=marker, count=0) for day in run]
            written += len(OperatorDaySummary.objects.bulk_create(empty, ignore_conflicts=True))
    return written
