"""The operator's view (``admin/django_ekyc/kyctransaction/operations/``): its figures, permission, period form,
query count, and charts drawn on the server with nothing loaded from elsewhere."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_ekyc.charts import Bar, Stack, bar_chart, funnel_chart, histogram, stacked_bar_chart
from django_ekyc.models import EventKind, FaceRecord, KycTransaction, KycTransactionEvent, Status
from django_ekyc.services.stats_calls import LATENCY_BOUNDS_MS, OperationCalls

pytestmark = pytest.mark.django_db

URL_NAME = "admin:django_ekyc_kyctransaction_operations"
# Session, user, the user's permissions and their groups', then the page's aggregate queries: the frozen days' summaries
# (one), the rest of the period live (funnel, endings, calls), today's quota, five queues and the review queue. One
# more when frozen days hold verifications that were still waiting (are they still?).
PAGE_QUERIES = 15


def url(**params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(URL_NAME) + (f"?{query}" if query else "")


def transactions(count: int, owner: Any, **fields: Any) -> list[KycTransaction]:
    """``count`` rows at once (bulk), each with its unique ids."""
    rows = [
        KycTransaction(
            user=owner,
            merchant_biz_id=uuid.uuid4().hex,
            merchant_user_id="0" * 64,
            return_token_hash=uuid.uuid4().hex * 2,
            callback_token_hash="c" * 64,
            **fields,
        )
        for _ in range(count)
    ]
    return KycTransaction.objects.bulk_create(rows)


def events(kyc: KycTransaction, count: int, **fields: Any) -> None:
    fields.setdefault("kind", EventKind.PROVIDER_CALL)
    KycTransactionEvent.objects.bulk_create(
        KycTransactionEvent(transaction=kyc, source="api", **fields) for _ in range(count)
    )


@pytest.fixture
def flow(user) -> dict[str, Any]:
    """A week of verifications: 10 eKYC passports (6 passed, 3 failed, 1 abandoned), 4 eKYC_PRO in the app through
    the Singapore account (1 passed, 1 failed, 2 abandoned), 1 error, 2 still waiting; one old row outside it;
    provider calls with durations and errors; work queued."""
    passport = {"product_code": "eKYC", "channel": "web", "doc_type": "01000000"}
    pro = {"product_code": "eKYC_PRO", "channel": "app", "doc_type": "GLB03002", "account": "sg"}
    transactions(6, user, status=Status.PASSED, passed=True, sub_code="200", **passport)
    transactions(2, user, status=Status.FAILED, passed=False, sub_code="204", **passport)
    transactions(1, user, status=Status.FAILED, passed=False, sub_code="212", **passport)
    transactions(1, user, status=Status.EXPIRED, error_code="not_completed", stopped_at="FaceLiveness", **passport)
    transactions(1, user, status=Status.PASSED, passed=True, sub_code="200", **pro)
    transactions(1, user, status=Status.FAILED, passed=False, sub_code="204", review="waiting", **pro)
    transactions(2, user, status=Status.EXPIRED, error_code="not_completed", **pro)
    transactions(1, user, status=Status.ERROR, error_code="Throttling.Api", **passport)
    waiting = transactions(2, user, status=Status.INITIALIZED, **passport)
    old = transactions(1, user, status=Status.PASSED, passed=True, **passport)
    KycTransaction.objects.filter(pk=old[0].pk).update(created_at=timezone.now() - timedelta(days=40))
    KycTransaction.objects.filter(pk=waiting[0].pk).update(
        face_status="pending", review="second", review_rule="duplicate"
    )
    KycTransaction.objects.filter(pk=waiting[0].pk).update(review_since=timezone.now() - timedelta(hours=3))
    kyc = waiting[1]
    events(kyc, 90, action="Initialize", code="Success", duration_ms=120)
    events(kyc, 10, action="Initialize", code="Success", duration_ms=2500)
    events(kyc, 4, action="CheckResult", code="Success", duration_ms=40)
    events(kyc, 1, action="CheckResult", code="Throttling.Api", duration_ms=30)
    events(kyc, 3, kind=EventKind.REJECTED, action="CheckResult", code="rate_limited", duration_ms=1500)
    events(kyc, 5, kind=EventKind.STATE_CHANGE, from_status="created", to_status="initialized")
    FaceRecord.objects.create(face_key="k" * 32, face_group="g", delete_requested_at=timezone.now())
    return {"waiting": waiting}


@pytest.fixture
def operator(django_user_model):
    """A staff member with ``view_operations`` and nothing else."""
    member = django_user_model.objects.create_user("operator", "operator@example.com", "pw", is_staff=True)
    member.user_permissions.add(Permission.objects.get(codename="view_operations"))
    return member


class Tables(HTMLParser):
    """Every table's rows as text cells, by the table's id; every src and href value."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "table":
            self._table = found.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page(client, user, **params: str) -> tuple[str, Tables]:
    client.force_login(user)
    response = client.get(url(**params))
    assert response.status_code == 200
    html = response.content.decode()
    parsed = Tables()
    parsed.feed(html)
    return html, parsed


def rows_of(parsed: Tables, table: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in parsed.tables[f"table-{table}"][1:] if row}  # [1:]: not the headers


SINGAPORE = {"sg": {"ACCESS_KEY_ID": "LTAI-sg", "ACCESS_KEY_SECRET": "sg-secret", "REGION": "ap-southeast-1"}}


@pytest.fixture(autouse=True)
def _singapore_account():
    with override_settings(EKYC={**settings.EKYC, "ACCOUNTS": SINGAPORE}):
        yield


def test_the_funnel_and_its_breakdowns(client, operator, flow):
    _html, parsed = page(client, operator)
    funnel = rows_of(parsed, "funnel")
    assert funnel["Started"] == ["17", "100.0 %"]
    assert funnel["Came back (finished)"] == ["11", "64.7 %"]
    assert (funnel["Passed"][0], funnel["Failed"][0], funnel["Abandoned (expired)"][0]) == ("7", "4", "3")
    assert (funnel["Still waiting"][0], funnel["Could not start (error)"][0]) == ("2", "1")
    products = rows_of(parsed, "product")
    assert products["Identity verification (greater-China documents)"] == ["13", "9", "6", "3", "1", "66.7 %"]
    assert products["Identity verification (global documents)"] == ["4", "2", "1", "1", "2", "50.0 %"]
    assert rows_of(parsed, "channel")["Native app"][0] == "4"
    regions = rows_of(parsed, "region")
    assert (regions["China (Hong Kong)"][0], regions["Singapore"][0]) == ("13", "4")
    assert rows_of(parsed, "document")["Passport (global e-passport, read from the MRZ)"][0] == "4"
    assert rows_of(parsed, "stopped") == {"Unknown": ["2"], "FaceLiveness": ["1"]}


def test_the_pass_rate_and_the_failures_in_words(client, operator, flow):
    html, parsed = page(client, operator)
    assert "Pass rate (passed of those who came back): 63.6 %" in html
    failures = rows_of(parsed, "failures")
    assert failures["The face did not match the photo on the document."] == ["204", "3", "75.0 %"]
    assert failures["The document did not pass the anti-counterfeiting check. Use the original document, not a copy."][
        :2
    ] == ["212", "1"]


def test_provider_calls_errors_and_latency(client, operator, flow):
    html, parsed = page(client, operator)
    calls = rows_of(parsed, "calls")
    assert calls["Initialize"] == ["100", "0.0 %", "-", "0", "0", "at most 200 ms", "at most 3,000 ms"]
    assert calls["CheckResult"] == ["5", "20.0 %", "Throttling.Api: 1", "1", "3", "at most 50 ms", "at most 50 ms"]
    latency = rows_of(parsed, "latency")
    assert latency["\u2264200"] == ["90", "0"] and latency["\u22643,000"] == ["10", "0"]
    assert "throttled 1 calls and the site's limiter kept back 3" in unescape(html)


def test_quota_today_against_the_limit(client, operator, flow):
    _html, parsed = page(client, operator)
    quota = rows_of(parsed, "quota")
    # All of a bulk insert's events share one second; eKYC's quota (10 a second) caps RATE_LIMIT (10).
    initialize = quota["Initialize \u00b7 eKYC \u00b7 default account"]
    assert initialize == ["100", "100 of 10 a second", "1,000.0 %"]


def test_the_queues_and_the_review_queue(client, operator, flow):
    _html, parsed = page(client, operator)
    queues = rows_of(parsed, "queues")
    assert queues["Sync backlog (waiting, check due)"][0] == "2"
    assert queues["Face work pending"][0] == "1"
    assert queues["Face library deletions pending"][0] == "1"
    assert queues["Deletions at the provider pending"] == ["0", "-", "-"]
    review = rows_of(parsed, "review")
    assert review["Same face as another account"][0] == "1"
    assert review["All open reviews"][0] == "2"
    assert review["All open reviews"][2].startswith("3 hours")


def test_the_charts_carry_the_figures(client, operator, flow):
    html, _ = page(client, operator)
    funnel = re.search(r'<svg class="ekyc-chart" id="chart-funnel".*?</svg>', html, re.S)
    assert funnel is not None
    assert '<title id="chart-funnel-title">The verification funnel</title>' in funnel.group()
    assert "<title>Started: 17 (100.0 %)</title>" in funnel.group()
    assert 'role="img"' in funnel.group()
    for chart in ("product", "channel", "region", "document", "stopped", "reasons", "calls", "quota", "queues"):
        assert f'id="chart-{chart}"' in html


def test_nothing_is_loaded_from_outside_the_site(client, operator, flow):
    html, parsed = page(client, operator)
    external = [link for link in parsed.links if re.match(r"(https?:)?//", link)]
    assert external == []
    assert "<script" not in html.split('id="content-main"', 1)[1]


def test_a_staff_member_without_the_permission_gets_403(client, django_user_model):
    member = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    member.user_permissions.add(Permission.objects.get(codename="view_kyctransaction"))
    client.force_login(member)
    assert client.get(url()).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(url())
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "90y"}, "Select a valid choice."),
        ({"start": "2026-13-40", "end": "2026-01-01"}, "Enter a valid date."),
        ({"start": "2026-02-01"}, "Give both dates, or neither."),
        ({"start": "2026-02-02", "end": "2026-02-01"}, "The first date is after the second."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose at most 366 days."),
    ],
)
def test_a_bad_period_says_why_and_shows_the_default(client, operator, params, message):
    html, _ = page(client, operator, **params)
    errors = re.search(r'<div class="errornote" role="alert" id="period-errors">(.*?)</div>', html, re.S)
    assert errors is not None and message in errors.group(1)
    assert "Showing the default period instead: Last 7 days." in errors.group(1)


def test_a_chosen_period(client, operator, flow):
    html, parsed = page(client, operator, period="24h")
    assert "(Last 24 hours)" in html and rows_of(parsed, "funnel")["Started"][0] == "17"
    # The day the old verification falls on in the site's time zone: 40 days back is not always 40 local dates
    # back (a daylight-saving change in between moves it across midnight for an hour of the day).
    old = timezone.localdate(KycTransaction.objects.earliest("created_at").created_at)
    html, parsed = page(client, operator, start=old.isoformat(), end=old.isoformat())
    assert rows_of(parsed, "funnel")["Started"][0] == "1"


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, PAGE_QUERIES),
        ({"period": "30d"}, PAGE_QUERIES),
        ({"start": "-365", "end": "0"}, PAGE_QUERIES),  # a year to today: as many queries as a week
        ({"period": "24h"}, PAGE_QUERIES),
    ],
)
def test_the_page_takes_a_fixed_number_of_queries(client, operator, flow, django_assert_num_queries, params, queries):
    today = timezone.localdate()
    params = {
        key: (today + timedelta(days=int(value))).isoformat() if key in ("start", "end") else value
        for key, value in params.items()
    }
    client.force_login(operator)
    client.get(url(**params))  # content types and permissions are cached, and the frozen days summarised, after it
    # How the period is cut into summarised days and live ranges depends on the time of day (the last 24 hours
    # hold more than half of yesterday only before noon UTC; just after midnight yesterday is not frozen yet):
    # what must not change is the count, whatever the rows.
    with CaptureQueriesContext(connection) as before:
        assert client.get(url(**params)).status_code == 200
    assert len(before) <= queries
    transactions(30, operator, status=Status.FAILED, sub_code="205", account="sg", channel="app")
    with django_assert_num_queries(len(before)):
        assert client.get(url(**params)).status_code == 200


def test_an_account_removed_from_the_settings_still_shows(client, operator, user):
    transactions(2, user, status=Status.PASSED, account="gone")
    _html, parsed = page(client, operator)
    assert rows_of(parsed, "region")["Unknown account gone"][0] == "2"


# -- the charts, as pure functions -------------------------------------------------------------------------------


def test_a_bar_chart_escapes_and_names_its_bars():
    svg = bar_chart("c", "Title <1>", [Bar("<b>x</b>", 3, "3"), Bar("y", 0, "0")])
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;: 3" in svg
    assert '<title id="c-title">Title &lt;1&gt;</title>' in svg
    assert svg.count('class="ekyc-fill"') == 2 and 'width="0.0"' in svg


def test_empty_charts_say_so():
    for svg in (
        bar_chart("a", "A", [], empty="Nothing"),
        stacked_bar_chart("b", "B", ["x"], [], empty="Nothing"),
    ):
        assert "Nothing" in svg and 'role="img"' in svg
    assert "-" in funnel_chart("c", "C", []) and "-" in histogram("d", "D", [])


def test_the_funnel_narrows_with_its_stages():
    svg = funnel_chart("f", "F", [Bar("a", 100, "100"), Bar("b", 50, "50")])
    widths = [float(width) for width in re.findall(r'class="ekyc-fill" x="[\d.]+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [360.0, 180.0] and "<polygon" in svg


def test_stacked_bars_split_by_the_legend():
    svg = stacked_bar_chart("s", "S", ["ok", "bad"], [Stack("op", [3, 1], "4")])
    assert "<title>op \u2013 ok: 3</title>" in svg and "<title>op \u2013 bad: 1</title>" in svg


def test_a_histogram_prints_each_count():
    svg = histogram("h", "H", [Bar("\u226450", 2, "2"), Bar("\u2264100", 0, "0")], axis="ms")
    assert "<title>\u226450: 2</title>" in svg and ">ms</text>" in svg


def test_percentiles_come_from_the_buckets():
    buckets = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    buckets[2], buckets[5], buckets[-1] = 50, 45, 5
    calls = OperationCalls("Initialize", {"Success": 100}, 0, tuple(buckets))
    assert LATENCY_BOUNDS_MS[calls.percentile_bucket(0.5)] == 200
    assert LATENCY_BOUNDS_MS[calls.percentile_bucket(0.95)] == 750
    assert calls.percentile_bucket(0.99) == len(LATENCY_BOUNDS_MS)  # slower than the last bound
    assert OperationCalls("x").percentile_bucket(0.5) is None
