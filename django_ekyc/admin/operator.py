"""The operator's view: the verification funnel, the provider's calls and the queues of a period, on one admin page.

Mixed into the verifications' admin, it adds ``operations/`` (for ``view_operations``). The figures come from
:mod:`django_ekyc.services.stats` (a fixed number of aggregate queries) and are drawn by :mod:`django_ekyc.charts`
as inline SVG, each chart beside a table of the same numbers: nothing is loaded from outside the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_ekyc.charts import Bar, Stack, bar_chart, funnel_chart, histogram, stacked_bar_chart
from django_ekyc.conf import ekyc_settings
from django_ekyc.models import KycTransaction
from django_ekyc.services.stats import DIMENSIONS, Counts, OperatorReport, Queue, operator_report
from django_ekyc.services.stats_calls import LATENCY_BOUNDS_MS, OperationCalls, QuotaUse
from django_ekyc.text import join_list, moment_text, number_text

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[KycTransaction]
else:
    _Admin = object

PERIODS = {
    "24h": (timedelta(hours=24), gettext_lazy("Last 24 hours")),
    "7d": (timedelta(days=7), gettext_lazy("Last 7 days")),
    "30d": (timedelta(days=30), gettext_lazy("Last 30 days")),
}
DEFAULT_PERIOD = "7d"
MAX_DAYS = 366
HISTOGRAMS = 4  # latency histograms for the busiest operations


class PeriodForm(forms.Form):
    """The period the page covers: a recent span, or from one date to another (both included)."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        initial=DEFAULT_PERIOD,
        choices=[(key, label) for key, (_span, label) in PERIODS.items()],
        required=False,
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ValidationError(gettext_lazy("Give both dates, or neither."), code="one_date")
        if start and end and start > end:
            raise ValidationError(gettext_lazy("The first date is after the second."), code="reversed")
        if start and end and (end - start).days >= MAX_DAYS:
            raise ValidationError(
                gettext_lazy("Choose at most %(days)s days."), code="too_long", params={"days": MAX_DAYS}
            )
        return data


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def chosen_period(form: PeriodForm, now: datetime) -> tuple[datetime, datetime, str]:
    """[start, end) and its name: the form's dates or span; the default span when the form is empty or wrong."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("start") and data.get("end"):
        start, end = _midnight(data["start"]), min(_midnight(data["end"] + timedelta(days=1)), now)
        label: str = _("%(start)s to %(end)s") % {"start": date_format(data["start"]), "end": date_format(data["end"])}
        return start, max(end, start), label
    span, name = PERIODS[data.get("period") or DEFAULT_PERIOD]
    return now - span, now, str(name)


def _pct(part: float | None, whole: float = 1.0) -> str:
    return (
        "-" if part is None or not whole else f"{number_format(round(100 * part / whole, 1), 1, force_grouping=True)} %"
    )


def _latency(bucket: int | None) -> str:
    if bucket is None:
        return "-"
    if bucket >= len(LATENCY_BOUNDS_MS):
        return _("over %(ms)s ms") % {"ms": number_text(LATENCY_BOUNDS_MS[-1])}
    return _("at most %(ms)s ms") % {"ms": number_text(LATENCY_BOUNDS_MS[bucket])}


def _bucket_names() -> list[str]:
    return [f"\u2264{number_text(bound)}" for bound in LATENCY_BOUNDS_MS] + [f">{number_text(LATENCY_BOUNDS_MS[-1])}"]


def _age(queue: Queue, now: datetime) -> list[str]:
    if queue.oldest is None:
        return ["-", "-"]
    return [moment_text(queue.oldest), timesince(queue.oldest, now)]


def section(
    key: str,
    title: str,
    charts: Sequence[SafeString],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    **more: Any,
) -> dict[str, Any]:
    """One block of the page: its charts and the table of their numbers."""
    return {"id": key, "title": title, "charts": charts, "headers": headers, "rows": rows, **more}


def funnel_section(funnel: Counts) -> dict[str, Any]:
    stages = [
        (_("Started"), funnel.started),
        (_("Came back (finished)"), funnel.came_back),
        (_("Passed"), funnel.passed),
        (_("Failed"), funnel.failed),
        (_("Abandoned (expired)"), funnel.abandoned),
    ]
    bars = [Bar(name, n, f"{number_text(n)} ({_pct(n, funnel.started)})") for name, n in stages]
    extra = [(_("Still waiting"), funnel.waiting), (_("Could not start (error)"), funnel.errors)]
    rows = [[name, number_text(n), _pct(n, funnel.started)] for name, n in [*stages, *extra]]
    chart = funnel_chart("chart-funnel", _("The verification funnel"), bars)
    return section("funnel", _("The funnel"), [chart], [_("Stage"), _("Verifications"), _("Of started")], rows)


def _row(label: str, *cells: float | str) -> list[str]:
    """A table row: its heading, then each cell (numbers formatted for the locale)."""
    return [label, *(cell if isinstance(cell, str) else number_text(cell) for cell in cells)]


def breakdown_sections(report: OperatorReport) -> list[dict[str, Any]]:
    titles = {"product": _("By product"), "channel": _("By channel"), "region": _("By region")}
    titles["document"] = _("By document")
    legend = [_("Passed"), _("Failed"), _("Abandoned"), _("Waiting or error")]
    headers = [_("Group"), _("Started"), _("Came back"), _("Passed"), _("Failed"), _("Abandoned"), _("Pass rate")]
    found = []
    for dimension in DIMENSIONS:
        groups = [(g.label, g.counts) for g in report.breakdowns[dimension]]
        stacks = [
            Stack(name, [c.passed, c.failed, c.abandoned, c.waiting + c.errors], number_text(c.started))
            for name, c in groups
        ]
        rows = [
            _row(name, c.started, c.came_back, c.passed, c.failed, c.abandoned, _pct(c.pass_rate)) for name, c in groups
        ]
        chart = stacked_bar_chart(f"chart-{dimension}", titles[dimension], legend, stacks, empty=_("None started."))
        found.append(section(dimension, titles[dimension], [chart], headers, rows))
    return found


def endings_sections(report: OperatorReport) -> list[dict[str, Any]]:
    stopped = [Bar(page, n, number_text(n)) for page, n in report.stopped_at]
    title = _("Where abandoned users stopped")
    chart = bar_chart("chart-stopped", title, stopped, empty=_("None abandoned."))
    abandoned = section(
        "stopped",
        title,
        [chart],
        [_("Last page reached"), _("Abandoned")],
        [_row(page, n) for page, n in report.stopped_at],
    )
    failed = report.funnel.failed
    reasons = [Bar(r.words, r.count, f"{number_text(r.count)} ({_pct(r.count, failed)})") for r in report.reasons]
    chart = bar_chart("chart-reasons", _("The most frequent failures"), reasons, empty=_("None failed."))
    headers = [_("Why, in words"), _("Code"), _("Failed"), _("Of failures")]
    rows = [_row(r.words, r.code, r.count, _pct(r.count, failed)) for r in report.reasons]
    lead = _("Pass rate (passed of those who came back): %(rate)s") % {"rate": _pct(report.funnel.pass_rate)}
    return [abandoned, section("failures", _("Pass rate and failures"), [chart], headers, rows, lead=lead)]


def _codes(calls: OperationCalls) -> str:
    return join_list(f"{code}: {number_text(n)}" for code, n in list(calls.errors.items())[:3]) or "-"


def _percentiles(calls: OperationCalls) -> list[str]:
    return [_latency(calls.percentile_bucket(0.5)), _latency(calls.percentile_bucket(0.95))]


def _latency_chart(index: int, calls: OperationCalls) -> SafeString:
    # Short marks under the columns (the table names each bucket in full): 50 ... 750, 1 s ... 10 s, more.
    marks = [number_text(b) if b < 1000 else f"{number_format(b / 1000)} s" for b in LATENCY_BOUNDS_MS] + [_("more")]
    bars = [Bar(mark, n, number_text(n)) for mark, n in zip(marks, calls.buckets, strict=True)]
    title = _("Latency of %(operation)s") % {"operation": calls.action}
    return histogram(f"chart-latency-{index}", title, bars, axis=_("%(operation)s, ms") % {"operation": calls.action})


def calls_sections(report: OperatorReport) -> list[dict[str, Any]]:
    legend = [_("Success"), _("Error"), _("Kept back (site limit)")]
    stacks = [
        Stack(c.action, [c.calls - sum(c.errors.values()), sum(c.errors.values()), c.rejected], number_text(c.calls))
        for c in report.calls
    ]
    rows = [
        _row(c.action, c.calls, _pct(c.error_rate), _codes(c), c.throttled, c.rejected, *_percentiles(c))
        for c in report.calls
    ]
    headers = [_("Operation"), _("Calls"), _("Error rate"), _("Errors by code"), _("Throttled"), _("Kept back")]
    headers += [_("p50"), _("p95")]
    chart = stacked_bar_chart("chart-calls", _("Provider calls per operation"), legend, stacks, empty=_("No calls."))
    busiest, names = report.calls[:HISTOGRAMS], _bucket_names()
    latency = section(
        "latency",
        _("Latency"),
        [_latency_chart(index, c) for index, c in enumerate(busiest)] or [histogram("chart-latency", _("Latency"), [])],
        [_("Duration (ms)"), *(c.action for c in busiest)],
        [_row(name, *(c.buckets[index] for c in busiest)) for index, name in enumerate(names)],
        lead=_("A percentile is known to the upper bound of its bucket."),
    )
    return [section("calls", _("Provider calls"), [chart], headers, rows), latency]


def quota_section(report: OperatorReport) -> dict[str, Any]:
    def name(use: QuotaUse) -> str:
        return f"{use.action} \u00b7 {use.product_code} \u00b7 {use.account or _('default account')}"

    def peak(use: QuotaUse) -> str:
        limit = number_text(use.limit) if use.limit else "-"
        return _("%(peak)s of %(limit)s a second") % {"peak": number_text(use.busiest_second), "limit": limit}

    bars = [Bar(name(u), 100 * (u.share or 0), peak(u)) for u in report.quota]
    rows = [_row(name(u), u.calls, peak(u), _pct(u.share)) for u in report.quota]
    headers = [_("Operation, product, account"), _("Calls today"), _("Busiest second"), _("Use of the limit")]
    chart = bar_chart("chart-quota", _("Today's busiest second against the limit"), bars, empty=_("No calls today."))
    throttled, kept_back = sum(c.throttled for c in report.calls), sum(c.rejected for c in report.calls)
    rate = ekyc_settings.RATE_LIMIT
    limit = (
        _(
            "RATE_LIMIT: %(limit)s calls a second per operation and account, capped by the region's and the "
            "product's quotas."
        )
        % {"limit": rate}
        if rate
        else _("RATE_LIMIT is off: the limits are the products' quotas.")
    )
    lead = (
        limit
        + " "
        + _("In the period, the provider throttled %(throttled)s calls and the site's limiter kept back %(kept)s.")
        % {"throttled": number_text(throttled), "kept": number_text(kept_back)}
    )
    return section("quota", _("Quota"), [chart], headers, rows, lead=lead)


def _queue_section(key: str, title: str, queues: list[tuple[str, Queue]], now: datetime, **more: Any) -> dict[str, Any]:
    chart = bar_chart(f"chart-{key}", title, [Bar(name, q.count, number_text(q.count)) for name, q in queues], **more)
    rows = [_row(name, q.count, *_age(q, now)) for name, q in queues]
    return section(key, title, [chart], [_("Queue"), _("Items"), _("Oldest"), _("Waiting for")], rows)


def queue_sections(report: OperatorReport) -> list[dict[str, Any]]:
    names = {
        "sync": _("Sync backlog (waiting, check due)"),
        "faces": _("Face work pending"),
        "deepfake": _("Deepfake screenings pending"),
        "provider_deletions": _("Deletions at the provider pending"),
        "face_deletions": _("Face library deletions pending"),
    }
    work = [(names[key], queue) for key, queue in report.queues.items()]
    review = [(group.label, Queue(group.count, group.oldest)) for group in report.review]
    return [
        _queue_section("queues", _("Background work now"), work, report.now),
        _queue_section(
            "review", _("Review queue now"), [*review, (_("All open reviews"), report.review_total)], report.now
        ),
    ]


class OperatorView(_Admin):
    """Mixed into the transactions' admin: the ``operations/`` page, for staff with ``view_operations``."""

    def has_operations_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.view_operations")

    def get_urls(self) -> list[Any]:
        operations = path(
            "operations/",
            self.admin_site.admin_view(self.operations_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_operations",
        )
        return [operations, *super().get_urls()]

    def operations_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_operations_permission(request):
            raise PermissionDenied
        now = timezone.now()
        form = PeriodForm(request.GET or None)
        start, end, label = chosen_period(form, now)
        day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        report = operator_report(start, end, now, day_start)
        sections = [
            funnel_section(report.funnel),
            *breakdown_sections(report),
            *endings_sections(report),
            *calls_sections(report),
            quota_section(report),
            *queue_sections(report),
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Operations"),
            "form": form,
            "period": label,
            "report": report,
            "sections": sections,
        }
        return TemplateResponse(request, "admin/django_ekyc/operations.html", context)
