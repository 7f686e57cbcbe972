"""Small server-side bar charts as inline SVG: no JavaScript and no request to another site,
so they draw offline and under a Content-Security-Policy allowing this origin only (colours
are SVG attributes, not inline styles)."""

import datetime
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

BAR_WIDTH = 3  # px per day in the viewBox (one pixel of gap)
CHART_HEIGHT = 48
CHART_SUMMARY = _("{label}: {total} in {days} days, at most {peak} a day")


def daily_bar_chart(
    days: Sequence[datetime.date], values: Sequence[int], *, label: str, colour: str
) -> str:
    """An SVG of one bar per day, scaled to the largest value; each bar's tooltip reads
    "2026-10-01: 5". `label` names the series for screen readers."""
    width = BAR_WIDTH * len(days)
    peak = max(values, default=0)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>',
        (
            (
                index * BAR_WIDTH,
                CHART_HEIGHT - _height(value, peak),
                BAR_WIDTH - 1,
                _height(value, peak),
                day.isoformat(),
                value,
            )
            for index, (day, value) in enumerate(zip(days, values, strict=True))
            if value
        ),
    )
    return format_html(
        '<svg class="patron-chart" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}" fill="{}"><line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc" />'
        "{}</svg>",
        width,
        CHART_HEIGHT,
        CHART_SUMMARY.format(
            label=label, total=f"{sum(values):,}", days=len(days), peak=f"{peak:,}"
        ),
        colour,
        CHART_HEIGHT - 0.5,
        width,
        CHART_HEIGHT - 0.5,
        bars,
    )


def _height(value: int, peak: int) -> int:
    """A bar's height; any non-zero day shows at least one pixel."""
    if not value or not peak:
        return 0
    return max(1, round(value * (CHART_HEIGHT - 2) / peak))
