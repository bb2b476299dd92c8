"""Charts drawn on the server as inline SVG: bars, stacked bars, a funnel and a histogram.

Pure functions of the figures they are given (no ORM, no settings, no translation: every word arrives already
translated), so that they are tested with plain values and the page loads nothing from anywhere. Each chart is a
``role="img"`` SVG named by its ``<title>``, every mark carries its own ``<title>`` (a tooltip, and the figure for
assistive technology), and colours come from CSS classes (``ekyc-*``) that the page styles with the admin's
variables, so that the dark theme applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

__all__ = ["Bar", "Stack", "bar_chart", "funnel_chart", "histogram", "stacked_bar_chart"]

WIDTH = 520
BAR_AREA = 360  # pixels the longest bar takes; the rest of the width is for its figure
LABEL_CHARS = 72  # a longer label is cut on the chart (whole in its tooltip and in the table)


@dataclass(frozen=True)
class Bar:
    """One mark: what it is, its size, and the figure printed beside it (already formatted)."""

    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Stack:
    """One stacked bar: its label, the parts in the order of the chart's legend, and its printed figure."""

    label: str
    parts: Sequence[float]
    text: str


def _cut(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def _scale(values: Sequence[float], area: float) -> float:
    """Pixels per unit so that the largest value fills ``area`` (no division by zero for an empty chart)."""
    top = max((value for value in values if value > 0), default=0.0)
    return area / top if top else 0.0


def _svg(chart_id: str, title: str, height: int, body: str, width: int = WIDTH) -> SafeString:
    return format_html(
        '<svg class="ekyc-chart" id="{}" role="img" aria-labelledby="{}-title" viewBox="0 0 {} {}" width="{}" '
        'height="{}" preserveAspectRatio="xMinYMin meet"><title id="{}-title">{}</title>{}</svg>',
        chart_id,
        chart_id,
        width,
        height,
        width,
        height,
        chart_id,
        title,
        mark_safe(body),  # noqa: S308 - built by format_html below, every value escaped
    )


def _empty(chart_id: str, title: str, message: str) -> SafeString:
    body = format_html('<text class="ekyc-label" x="0" y="20">{}</text>', message)
    return _svg(chart_id, title, 30, body)


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, empty: str = "-") -> SafeString:
    """Horizontal bars, each under its label (room for a sentence), its figure at the end of the bar."""
    if not bars:
        return _empty(chart_id, title, empty)
    scale = _scale([bar.value for bar in bars], BAR_AREA)
    rows = []
    for index, bar in enumerate(bars):
        top = index * 38
        length = max(bar.value * scale, 1.0 if bar.value > 0 else 0.0)
        rows.append(
            format_html(
                '<g class="ekyc-bar"><title>{}: {}</title>'
                '<text class="ekyc-label" x="0" y="{}">{}</text>'
                '<rect class="ekyc-fill" x="0" y="{}" width="{}" height="14" rx="2"></rect>'
                '<text class="ekyc-value" x="{}" y="{}">{}</text></g>',
                bar.label,
                bar.text,
                top + 12,
                _cut(bar.label),
                top + 17,
                f"{length:.1f}",
                f"{length + 6:.1f}",
                top + 29,
                bar.text,
            )
        )
    return _svg(chart_id, title, len(bars) * 38 + 4, "".join(rows))


def stacked_bar_chart(
    chart_id: str, title: str, legend: Sequence[str], stacks: Sequence[Stack], *, empty: str = "-"
) -> SafeString:
    """Bars split into parts (``legend`` names them, in order; part *i* has class ``ekyc-part-i``)."""
    if not stacks:
        return _empty(chart_id, title, empty)
    scale = _scale([sum(stack.parts) for stack in stacks], BAR_AREA)
    # The legend, three keys a line.
    keys = format_html_join(
        "",
        '<rect class="ekyc-part-{}" x="{}" y="{}" width="12" height="12"></rect>'
        '<text class="ekyc-label" x="{}" y="{}">{}</text>',
        (
            (index, index % 3 * 170, 2 + index // 3 * 18, index % 3 * 170 + 16, 12 + index // 3 * 18, _cut(name, 24))
            for index, name in enumerate(legend)
        ),
    )
    head = 6 + 18 * ((len(legend) + 2) // 3)
    rows = [str(keys)]
    for index, stack in enumerate(stacks):
        top = head + index * 38
        rows.append(format_html('<text class="ekyc-label" x="0" y="{}">{}</text>', top + 12, _cut(stack.label)))
        left = 0.0
        for part_index, (name, value) in enumerate(zip(legend, stack.parts, strict=False)):
            length = value * scale
            if length <= 0:
                continue
            rows.append(
                format_html(
                    '<rect class="ekyc-part-{}" x="{}" y="{}" width="{}" height="14"><title>{} \u2013 {}: {}</title>'
                    "</rect>",
                    part_index,
                    f"{left:.1f}",
                    top + 17,
                    f"{length:.1f}",
                    stack.label,
                    name,
                    f"{value:g}",
                )
            )
            left += length
        rows.append(
            format_html('<text class="ekyc-value" x="{}" y="{}">{}</text>', f"{left + 6:.1f}", top + 29, stack.text)
        )
    return _svg(chart_id, title, head + len(stacks) * 38 + 4, "".join(rows))


def funnel_chart(chart_id: str, title: str, stages: Sequence[Bar]) -> SafeString:
    """Centred bars as wide as their share of the first stage, joined by bands: where the users go missing."""
    if not stages:
        return _empty(chart_id, title, "-")
    scale = _scale([stage.value for stage in stages], BAR_AREA)
    centre, step, rows = BAR_AREA / 2, 46, []
    previous: tuple[float, float] | None = None
    for index, stage in enumerate(stages):
        top = index * step
        half = max(stage.value * scale, 2.0) / 2
        if previous is not None:
            rows.append(
                format_html(
                    '<polygon class="ekyc-band" points="{},{} {},{} {},{} {},{}"></polygon>',
                    f"{centre - previous[0]:.1f}",
                    previous[1],
                    f"{centre + previous[0]:.1f}",
                    previous[1],
                    f"{centre + half:.1f}",
                    top + 16,
                    f"{centre - half:.1f}",
                    top + 16,
                )
            )
        rows.append(
            format_html(
                '<g class="ekyc-bar"><title>{}: {}</title>'
                '<text class="ekyc-label" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<rect class="ekyc-fill" x="{}" y="{}" width="{}" height="18" rx="2"></rect>'
                '<text class="ekyc-value" x="{}" y="{}">{}</text></g>',
                stage.label,
                stage.text,
                centre,
                top + 12,
                _cut(stage.label, 48),
                f"{centre - half:.1f}",
                top + 16,
                f"{half * 2:.1f}",
                BAR_AREA + 8,
                top + 30,
                stage.text,
            )
        )
        previous = (half, top + 34)
    return _svg(chart_id, title, len(stages) * step, "".join(rows))


def histogram(chart_id: str, title: str, buckets: Sequence[Bar], *, axis: str = "") -> SafeString:
    """Vertical columns side by side (a distribution over ordered buckets), the count above each, the bucket's
    label under it and ``axis`` (what the buckets measure) below."""
    if not buckets:
        return _empty(chart_id, title, "-")
    plot, column = 110, min(48.0, (WIDTH - 10) / len(buckets))
    scale = _scale([bucket.value for bucket in buckets], plot)
    columns = []
    for index, bucket in enumerate(buckets):
        height = max(bucket.value * scale, 1.0 if bucket.value > 0 else 0.0)
        left = index * column
        columns.append(
            format_html(
                '<g class="ekyc-bar"><title>{}: {}</title>'
                '<rect class="ekyc-fill" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="ekyc-value ekyc-small" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text class="ekyc-label ekyc-small" x="{}" y="{}" text-anchor="middle">{}</text></g>',
                bucket.label,
                bucket.text,
                f"{left + 2:.1f}",
                f"{16 + plot - height:.1f}",
                f"{column - 4:.1f}",
                f"{height:.1f}",
                f"{left + column / 2:.1f}",
                f"{12 + plot - height:.1f}",
                bucket.text if bucket.value else "",
                f"{left + column / 2:.1f}",
                plot + 30,
                _cut(bucket.label, 7),
            )
        )
    baseline = format_html(
        '<line class="ekyc-axis" x1="0" y1="{}" x2="{}" y2="{}"></line>', plot + 16, len(buckets) * column, plot + 16
    )
    caption = format_html('<text class="ekyc-label" x="0" y="{}">{}</text>', plot + 48, axis) if axis else ""
    body = "".join([*columns, baseline, caption])
    return _svg(chart_id, title, plot + 54, body)
