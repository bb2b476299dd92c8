"""The operator's page reads frozen days from day summaries: its figures are those of the raw rows, to the count.

Rows are spread over six weeks (at UTC midnight, a moment before it, local midnight and mid-day), and each figure
family of the page is compared with a computation in Python over the raw rows, for periods that start and end
inside the summarised range, cover it all, include today, or hold no whole day.
"""

from __future__ import annotations

import bisect
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from django_ekyc.models import EventKind, KycTransaction, KycTransactionEvent, OperatorDaySummary, Status
from django_ekyc.models.stats import CALL_DAY, DAY, ENDING_KEYS, FUNNEL_KEYS, UNTIMED
from django_ekyc.services import stats_freeze
from django_ekyc.services.stats import _endings, _funnel, operator_report
from django_ekyc.services.stats_calls import calls_from_rows
from django_ekyc.services.stats_days import freeze_lag, frozen_before, split, summarise_frozen_days
from django_ekyc.services.stats_rows import CALL_KINDS, LATENCY_BOUNDS_MS

pytestmark = pytest.mark.django_db

DAYS = 42
STATUSES = [Status.PASSED] * 4 + [Status.FAILED] * 2 + [Status.EXPIRED, Status.ERROR, Status.INITIALIZED]
KINDS = [EventKind.PROVIDER_CALL] * 5 + [EventKind.REJECTED, EventKind.STATE_CHANGE]
DURATIONS = [None, 1, 50, 51, 120, 750, 999, 1000, 2500, 10000, 10001, 60000]


def _moments(now: datetime) -> list[datetime]:
    """Per day back from today: UTC midnight, a microsecond before it, local midnight and mid-day."""
    found = []
    for back in range(DAYS):
        day = (now - timedelta(days=back)).astimezone(UTC).date()
        utc = datetime.combine(day, time.min, tzinfo=UTC)
        local = timezone.make_aware(datetime.combine(timezone.localtime(now).date() - timedelta(days=back), time.min))
        found += [utc, utc - timedelta(microseconds=1), local, utc + timedelta(hours=13, minutes=17)]
    return [moment for moment in found if moment < now]


def _transaction(owner: Any, rng: random.Random) -> KycTransaction:
    status = rng.choice(STATUSES)
    return KycTransaction(
        user=owner,
        status=status,
        product_code=rng.choice(["eKYC", "eKYC_PRO"]),
        channel=rng.choice(["web", "app"]),
        account=rng.choice(["", "", "sg", "gone"]),
        doc_type=rng.choice(["01000000", "GLB03002", ""]),
        sub_code=rng.choice(["204", "205", "212"]) if status == Status.FAILED else "",
        error_code=rng.choice(["not_completed", "expired", ""]) if status == Status.EXPIRED else "",
        stopped_at=rng.choice(["FaceLiveness", "DocumentCapture", ""]) if status == Status.EXPIRED else "",
        merchant_biz_id=uuid.uuid4().hex,
        merchant_user_id="0" * 64,
        return_token_hash=uuid.uuid4().hex * 2,
        callback_token_hash="c" * 64,
    )


def _event(kyc: KycTransaction, rng: random.Random) -> KycTransactionEvent:
    kind = rng.choice(KINDS)
    code = rng.choice(["Success", "Success", "Throttling.Api", ""])
    return KycTransactionEvent(
        transaction=kyc,
        kind=kind,
        source="api",
        action=rng.choice(["Initialize", "CheckResult", ""]),
        code="rate_limited" if kind == EventKind.REJECTED and rng.random() < 0.7 else code,
        duration_ms=rng.choice(DURATIONS),
    )


@pytest.fixture
def history(user) -> datetime:
    """Six weeks of verifications and history rows, a few at each moment of :func:`_moments`; returns ``now``."""
    rng, now = random.Random(7), timezone.now()
    for moment in _moments(now):
        made = KycTransaction.objects.bulk_create(_transaction(user, rng) for _ in range(rng.randint(1, 4)))
        KycTransaction.objects.filter(pk__in=[kyc.pk for kyc in made]).update(created_at=moment)
        calls = KycTransactionEvent.objects.bulk_create(_event(rng.choice(made), rng) for _ in range(rng.randint(1, 6)))
        KycTransactionEvent.objects.filter(pk__in=[event.pk for event in calls]).update(created_at=moment)
    return now


def live(start: datetime, end: datetime) -> dict[str, Any]:
    """The period's figures from the raw rows, added up in Python: what the summaries must reproduce."""
    rows = KycTransaction.objects.filter(created_at__gte=start, created_at__lt=end).values(*FUNNEL_KEYS, *ENDING_KEYS)
    funnel = Counter(tuple(row[key] for key in FUNNEL_KEYS) for row in rows)
    ended = [row for row in rows if row["status"] in (Status.FAILED, Status.EXPIRED)]
    endings = Counter(tuple(row[key] for key in ENDING_KEYS) for row in ended)
    calls: Counter[tuple[Any, ...]] = Counter()
    events = KycTransactionEvent.objects.filter(created_at__gte=start, created_at__lt=end, kind__in=CALL_KINDS)
    for event in events.values("kind", "action", "code", "duration_ms"):
        duration = event["duration_ms"]
        bucket = UNTIMED if duration is None else bisect.bisect_left(LATENCY_BOUNDS_MS, duration)
        calls[(event["kind"], event["action"], event["code"], bucket)] += 1
    total, breakdowns = _funnel({**dict(zip(FUNNEL_KEYS, key, strict=True)), "n": n} for key, n in funnel.items())
    stopped_at, reasons = _endings({**dict(zip(ENDING_KEYS, key, strict=True)), "n": n} for key, n in endings.items())
    keys = ("kind", "action", "code", "bucket")
    operations = calls_from_rows({**dict(zip(keys, key, strict=True)), "n": n} for key, n in calls.items())
    return {
        "funnel": total,
        "breakdowns": breakdowns,
        "stopped_at": stopped_at,
        "reasons": reasons,
        "calls": operations,
    }


def summarised(start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    report = operator_report(start, end, now, now - timedelta(hours=1))
    return {name: getattr(report, name) for name in ("funnel", "breakdowns", "stopped_at", "reasons", "calls")}


def periods(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    local = timezone.localtime(now).date()
    utc = now.astimezone(UTC).date()

    def at(day: Any) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    return {
        "24 hours": (now - timedelta(hours=24), now),
        "7 days": (now - timedelta(days=7), now),
        "30 days": (now - timedelta(days=30), now),
        "all, to today": (at(local - timedelta(days=DAYS + 2)), now),
        "mid-way in, mid-way out": (now - timedelta(days=20, hours=7), now - timedelta(days=3, hours=-2)),
        "local dates in the past": (at(local - timedelta(days=35)), at(local - timedelta(days=9))),
        "whole UTC days": (
            datetime.combine(utc - timedelta(days=30), time.min, tzinfo=UTC),
            datetime.combine(utc - timedelta(days=5), time.min, tzinfo=UTC),
        ),
        "before any row": (now - timedelta(days=400), now - timedelta(days=300)),
        "most of the edge days": (utc_at(utc, -25, 3), utc_at(utc, -6, 22)),
        "little of the edge days": (utc_at(utc, -25, 20), utc_at(utc, -6, 2)),
        "within one frozen day": (utc_at(utc, -15, 5), utc_at(utc, -15, 20)),
        "a little of one frozen day": (utc_at(utc, -15, 5), utc_at(utc, -15, 9)),
        "one day": (at(local - timedelta(days=12)), at(local - timedelta(days=11))),
    }


def utc_at(today: Any, days: int, hour: int) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=UTC)


def assert_figures_as_raw_rows(now: datetime) -> None:
    for name, (start, end) in periods(now).items():
        assert summarised(start, end, now) == live(start, end), name


def test_the_figures_are_those_of_the_raw_rows(history):
    assert_figures_as_raw_rows(history)  # the first loads summarise the days they need
    markers = OperatorDaySummary.objects.filter(figure=DAY).count()
    assert markers >= 30
    assert_figures_as_raw_rows(history)  # warm: read from the summaries, nothing more written
    assert OperatorDaySummary.objects.filter(figure=DAY).count() == markers


def test_the_figures_are_the_same_after_the_background_pass(history):
    assert summarise_frozen_days(history) >= DAYS - 3
    assert summarise_frozen_days(history) == 0  # nothing left to do
    assert_figures_as_raw_rows(history)


def test_each_day_is_summarised_once(history):
    summarise_frozen_days(history)
    markers = list(OperatorDaySummary.objects.filter(figure=DAY).values_list("day", flat=True))
    assert len(markers) == len(set(markers))
    assert min(markers) == min(_moments(history)).astimezone(UTC).date()
    assert max(markers) == frozen_before(history) - timedelta(days=1)
    calls = list(OperatorDaySummary.objects.filter(figure=CALL_DAY).values_list("day", flat=True))
    assert len(calls) == len(set(calls)) and max(calls) == frozen_before(history, CALL_DAY) - timedelta(days=1)
    written = OperatorDaySummary.objects.count()
    assert not stats_freeze.summarise_day(markers[3])  # taken: writes nothing
    assert not stats_freeze.summarise_day(calls[3], CALL_DAY)
    assert OperatorDaySummary.objects.count() == written


@pytest.mark.parametrize("marker", [DAY, CALL_DAY])
def test_two_summarisers_of_one_day_count_it_once(history, monkeypatch, marker):
    """The other process writes the day between this one's count and its write: this one writes nothing."""
    day = frozen_before(history) - timedelta(days=4)
    counted = stats_freeze.day_summaries

    def raced(on: Any, marker: str = DAY) -> list[OperatorDaySummary]:
        rows = counted(on, marker)
        monkeypatch.setattr(stats_freeze, "day_summaries", counted)
        assert stats_freeze.summarise_day(on, marker)  # the other process, first
        return rows

    monkeypatch.setattr(stats_freeze, "day_summaries", raced)
    assert not stats_freeze.summarise_day(day, marker)
    assert OperatorDaySummary.objects.filter(figure=marker, day=day).count() == 1
    assert_figures_as_raw_rows(history)


def test_a_missing_frozen_day_is_summarised_when_the_page_needs_it(history):
    summarise_frozen_days(history)
    gone = frozen_before(history) - timedelta(days=10)
    OperatorDaySummary.objects.filter(day=gone).delete()
    assert_figures_as_raw_rows(history)
    assert OperatorDaySummary.objects.filter(figure=DAY, day=gone).exists()


def test_a_verification_that_settles_after_its_day_froze_is_counted_as_it_ended(history):
    summarise_frozen_days(history)
    frozen = midnight_utc(frozen_before(history)) - timedelta(days=6)
    waiting = KycTransaction.objects.filter(status=Status.INITIALIZED, created_at__lt=frozen).first()
    assert waiting is not None
    KycTransaction.objects.filter(pk=waiting.pk).update(status=Status.EXPIRED, stopped_at="FaceLiveness")
    assert_figures_as_raw_rows(history)
    assert summarise_frozen_days(history) == 0  # the page already summarised that day again


def midnight_utc(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def test_a_day_freezes_once_its_verifications_are_settled():
    # COMPLETION_WINDOW (30 min) + sync's margin (1 min) + a day before the stale are expired + an hour.
    assert freeze_lag() == timedelta(days=1, hours=1, minutes=31)
    now = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    assert frozen_before(now) == datetime(2026, 3, 8, tzinfo=UTC).date()  # the 8th ended 1 day 1 h 30 min ago
    assert frozen_before(now + timedelta(minutes=1)) == datetime(2026, 3, 9, tzinfo=UTC).date()


def test_a_period_is_cut_into_frozen_days_and_live_edges():
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    frozen = frozen_before(now)  # the 18th is the last frozen day

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=UTC)

    start = at(1, 18)  # a quarter of the 1st: counted live
    cut = split(start, now, frozen)
    assert (cut.first, cut.last) == (at(2, 0).date(), at(19, 0).date())
    assert (cut.plus, cut.minus) == (((start, at(2, 0)), (at(19, 0), now)), ())
    covered = sum(((high - low) for low, high in cut.plus), timedelta()) + (cut.last - cut.first)
    assert covered == now - start
    cut = split(at(1, 3), at(10, 22), frozen)  # most of the 1st and of the 10th: summarised, less what is outside
    assert (cut.first, cut.last, cut.plus) == (at(1, 0).date(), at(11, 0).date(), ())
    assert cut.minus == ((at(1, 0), at(1, 3)), (at(10, 22), at(11, 0)))
    cut = split(at(5, 5), at(5, 20), frozen)  # within one day
    assert (cut.first, cut.minus) == (at(5, 0).date(), ((at(5, 0), at(5, 5)), (at(5, 20), at(6, 0))))
    assert split(at(5, 5), at(5, 10), frozen).plus == ((at(5, 5), at(5, 10)),)
    assert split(now - timedelta(hours=24), now, frozen).plus == ((now - timedelta(hours=24), now),)


@pytest.mark.django_db(transaction=True)
def test_concurrent_background_passes_count_each_day_once(history):
    if connection.vendor == "sqlite":
        pytest.skip("an in-memory SQLite database is one connection: run with DATABASE_URL on PostgreSQL")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            summarise_frozen_days(history)
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    markers = list(OperatorDaySummary.objects.filter(figure=DAY).values_list("day", flat=True))
    assert len(markers) == len(set(markers))
    assert_figures_as_raw_rows(history)
