"""A period's figures for the operator's page: frozen days from their day summaries, the rest from raw rows.

A day is a **UTC** day: 24 hours every time (no daylight-saving day of 23 or 25), and a summary keeps its meaning
whatever ``TIME_ZONE`` says later. A day is **frozen** once nothing counted in it can still change: its calls
(events never change once written) :data:`CALLS_SETTLING` after it ended, its verifications :func:`freeze_lag`
after (a hosted flow is completed or expired within ``COMPLETION_WINDOW`` and sync's margins; what is still open a
day past the provider's deadline is expired by the next pass). Frozen days are summarised once
(:mod:`django_ekyc.models.stats`) and read with one indexed query; the days after them and the partial days at the
period's edges are counted live from the raw rows, through the ``created_at`` indexes, so the page's cost depends
on neither the tables' size nor the period's length (beyond a few summary rows a day).

A verification that still waited when its day was summarised is noticed when it settles (the day's marker keeps
how many waited; the page compares that with the rows still waiting), and its day is summarised again.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from django_ekyc.conf import ekyc_settings
from django_ekyc.models import KycTransaction, KycTransactionEvent, OperatorDaySummary
from django_ekyc.models.stats import (
    CALL,
    CALL_DAY,
    CALL_KEYS,
    DAY,
    ENDING,
    ENDING_KEYS,
    FUNNEL,
    FUNNEL_KEYS,
    KEYS,
    MARKED,
)
from django_ekyc.services.deadlines import COMPLETION_MARGIN, STALE_AFTER_DEADLINE
from django_ekyc.services.stats_freeze import WAITING, summarise_day, summarise_missing
from django_ekyc.services.stats_rows import CALL_KINDS, Row, call_rows, ending_rows, funnel_rows

__all__ = ["PeriodRows", "freeze_lag", "frozen_before", "period_rows", "summarise_frozen_days"]

# Beyond the expiry bounds: the spacing of the sync passes that expire, and the flow's log fetched at expiry.
SETTLING = timedelta(hours=1)
# A day's calls are all written once it is over (an event is dated when it is made and never changes): this is
# room for the requests still running at midnight.
CALLS_SETTLING = timedelta(minutes=10)
FAMILIES = {FUNNEL: FUNNEL_KEYS, ENDING: ENDING_KEYS, CALL: CALL_KEYS}


def freeze_lag() -> timedelta:
    """How long after its end a day is frozen: the longest a verification can stay open when sync runs (the
    provider's window, sync's margin, the day a stale one waits before it is expired) and :data:`SETTLING`."""
    return timedelta(seconds=ekyc_settings.COMPLETION_WINDOW) + COMPLETION_MARGIN + STALE_AFTER_DEADLINE + SETTLING


def frozen_before(now: datetime, marker: str = DAY) -> date:
    """The first UTC day not frozen at ``now``: every earlier day ended at least :func:`freeze_lag` ago (for the
    verifications, ``DAY``), or :data:`CALLS_SETTLING` ago (for the calls, ``CALL_DAY``)."""
    lag = CALLS_SETTLING if marker == CALL_DAY else freeze_lag()
    return (now - lag).astimezone(UTC).date()


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def days(first: date, last: date) -> Iterator[date]:
    """The days of [first, last)."""
    for offset in range((last - first).days):
        yield first + timedelta(days=offset)


@dataclass(frozen=True)
class Split:
    """A period cut into frozen days [first, last), read from their summaries, and live ranges counted from raw
    rows: ``plus`` adds, ``minus`` takes away the part of a summarised day outside the period."""

    first: date
    last: date
    plus: tuple[tuple[datetime, datetime], ...]
    minus: tuple[tuple[datetime, datetime], ...] = ()


def _joined(ranges: list[tuple[datetime, datetime]]) -> tuple[tuple[datetime, datetime], ...]:
    """Ranges that touch as one: a period's live days are one range to the database."""
    joined: list[tuple[datetime, datetime]] = []
    for low, high in ranges:
        if joined and joined[-1][1] == low:
            joined[-1] = (joined[-1][0], high)
        else:
            joined.append((low, high))
    return tuple(joined)


def split(start: datetime, end: datetime, frozen: date) -> Split:
    """[start, end) day by UTC day, days before ``frozen`` being frozen: a frozen day the period covers for more
    than half is summarised (less the
    part outside the period, counted live), any other part of a day is counted live. Live rows are then at most
    half a day at each edge and the days not yet frozen."""
    summarised: list[date] = []
    plus: list[tuple[datetime, datetime]] = []
    minus: list[tuple[datetime, datetime]] = []
    day = start.astimezone(UTC).date()
    while midnight(day) < end:
        opens, closes = midnight(day), midnight(day + timedelta(days=1))
        low, high = max(start, opens), min(end, closes)
        if day < frozen and 2 * (high - low) > closes - opens:
            summarised.append(day)
            minus += [(left, right) for left, right in ((opens, low), (high, closes)) if left < right]
        elif low < high:
            plus.append((low, high))
        day += timedelta(days=1)
    if not summarised:
        return Split(day, day, _joined(plus))
    return Split(summarised[0], summarised[-1] + timedelta(days=1), _joined(plus), tuple(minus))


@dataclass(frozen=True)
class PeriodRows:
    """The grouped rows of a period, per figure family, summaries' and raw rows' together (see
    :mod:`django_ekyc.services.stats_rows`): every figure of the period is a sum over them."""

    funnel: list[Row]
    endings: list[Row]
    calls: list[Row]


Ranges = dict[str, tuple[date, date]]  # the frozen days [first, last) to read, per marker


@dataclass(frozen=True)
class _Read:
    rows: dict[str, list[Row]]
    markers: dict[str, tuple[int, int]]  # per marker: the days summarised, and the verifications waiting then


def _read(ranges: Ranges) -> _Read:
    """The families' summary rows of their days, added up per key, and the markers': one indexed query."""
    wanted = [
        Q(figure__in=[marker, *MARKED[marker]], day__gte=first, day__lt=last)
        for marker, (first, last) in ranges.items()
    ]
    grouped = (
        OperatorDaySummary.objects.filter(reduce(operator.or_, wanted))
        .order_by()
        .values("figure", *KEYS)
        .annotate(n=Sum("count"), rows=Count("pk"))
    )
    rows: dict[str, list[Row]] = {figure: [] for figure in FAMILIES}
    markers: dict[str, tuple[int, int]] = {}
    for row in grouped:
        if row["figure"] in MARKED:
            markers[row["figure"]] = (int(row["rows"]), int(row["n"]))
        else:
            keys = FAMILIES[row["figure"]]
            rows[row["figure"]].append({**{key: row[key] for key in keys}, "n": int(row["n"])})
    return _Read(rows, markers)


def _span(first: date, last: date) -> Q:
    return Q(created_at__gte=midnight(first), created_at__lt=midnight(last))


def _waiting_now(first: date, last: date) -> int:
    """The verifications of [first, last) still waiting: few once sync runs, counted on ``(status, created_at)``."""
    return KycTransaction.objects.filter(_span(first, last), status__in=WAITING).order_by().count()


def refresh_changed(first: date, last: date) -> int:
    """Summarise again each summarised day of [first, last) whose waiting verifications are not those its marker
    counted (one settled, or went with its user); returns how many were."""
    markers = dict(
        OperatorDaySummary.objects.filter(figure=DAY, day__gte=first, day__lt=last, count__gt=0).values_list(
            "day", "count"
        )
    )
    if not markers:
        return 0
    now_waiting = dict(
        KycTransaction.objects.filter(_span(min(markers), max(markers) + timedelta(days=1)), status__in=WAITING)
        .order_by()
        .annotate(on=TruncDate("created_at", tzinfo=UTC))
        .values("on")
        .annotate(n=Count("pk"))
        .values_list("on", "n")
    )
    changed = [day for day, count in sorted(markers.items()) if now_waiting.get(day, 0) != count]
    return sum(summarise_day(day, replace=True) for day in changed)


def _summarised(ranges: Ranges) -> dict[str, list[Row]]:
    """The summary rows of the frozen days, after summarising the missing ones and refreshing the changed ones."""
    ranges = {marker: (first, last) for marker, (first, last) in ranges.items() if first < last}
    if not ranges:
        return {figure: [] for figure in FAMILIES}
    found, again = _read(ranges), False
    for marker, (first, last) in ranges.items():
        summarised, waiting = found.markers.get(marker, (0, 0))
        if summarised < (last - first).days:
            again |= bool(summarise_missing(list(days(first, last)), marker))
        if waiting and _waiting_now(first, last) != waiting:
            again |= bool(refresh_changed(first, last))
    return _read(ranges).rows if again else found.rows


def _ranges(ranges: tuple[tuple[datetime, datetime], ...]) -> Q | None:
    found = [Q(created_at__gte=low, created_at__lt=high) for low, high in ranges]
    return reduce(operator.or_, found) if found else None


def _net(rows: list[Row], keys: tuple[str, ...]) -> list[Row]:
    """One row per key, its counts added up; keys that add up to nothing (all outside the period) are dropped."""
    totals: dict[tuple[object, ...], int] = {}
    for row in rows:
        key = tuple(row[name] for name in keys)
        totals[key] = totals.get(key, 0) + int(row["n"])
    return [{**dict(zip(keys, key, strict=True)), "n": n} for key, n in totals.items() if n > 0]


def period_rows(start: datetime, end: datetime, now: datetime) -> PeriodRows:
    """The grouped rows of [start, end) at ``now``: frozen days summarised, the rest live (one query per family, its
    ranges joined by OR, those to take away counted negative)."""
    cuts = {marker: split(start, end, frozen_before(now, marker)) for marker in MARKED}
    rows = _summarised({marker: (cut.first, cut.last) for marker, cut in cuts.items()})
    for marker, figure, count in ((DAY, FUNNEL, funnel_rows), (DAY, ENDING, ending_rows), (CALL_DAY, CALL, call_rows)):
        plus, minus = _ranges(cuts[marker].plus), _ranges(cuts[marker].minus)
        if plus is not None or minus is not None:
            rows[figure] += count(plus, minus)
    return PeriodRows(*(_net(rows[figure], keys) for figure, keys in FAMILIES.items()))


def _earliest_day() -> date | None:
    """The day of the oldest verification or call on record (each through an index), None when there is none."""
    moments = [
        KycTransaction.objects.aggregate(first=Min("created_at"))["first"],
        *(
            KycTransactionEvent.objects.filter(kind=kind).aggregate(first=Min("created_at"))["first"]
            for kind in CALL_KINDS
        ),
    ]
    known = [moment for moment in moments if moment is not None]
    return min(known).astimezone(UTC).date() if known else None


def summarise_frozen_days(now: datetime | None = None) -> int:
    """Summarise every frozen day not yet summarised, since the oldest row on record, and summarise again the
    frozen days whose waiting verifications have settled since: the page then reads only summaries for them.
    Safe to run from several hosts at once, and beside page loads; returns how many days it (re)summarised."""
    now, first = now or timezone.now(), _earliest_day()
    if first is None:
        return 0
    written = summarise_missing(list(days(first, frozen_before(now, CALL_DAY))), CALL_DAY)
    last = frozen_before(now)
    return written + summarise_missing(list(days(first, last))) + refresh_changed(first, last)
