"""The chart's vital-sign trends as server-rendered SVG, as the reports draw theirs
(reports.charts): Okabe–Ito colours, and colour never the only signal. Each chart has axis
labels and its unit, the adult normal range shaded and named, each reading a point with a
tooltip, and a reading outside the normal range a larger point with "H" or "L" written by
it; the table under the charts has the same figures, and the charts print in black on white
(static/clinical/vitals.css)."""

from __future__ import annotations

import math
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinical.vitals_selectors import Point, Trend

register = template.Library()

BLUE, ORANGE, VERMILLION, GREEN = "#0072B2", "#E69F00", "#D55E00", "#009E73"
SERIES = (  # colour, marker: systolic (or the one value) circles, diastolic squares
    (BLUE, "circle"),
    (ORANGE, "square"),
)
W, H = 340, 200
LEFT, RIGHT, TOP, BOTTOM = 50, W - 12, 14, H - 44


def _nice_step(span: float) -> float:
    """A tidy step (1, 2, 2.5 or 5 × 10^n) giving about four intervals over `span`."""
    raw = max(span, 1e-9) / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(s * power for s in (1, 2, 2.5, 5, 10) if raw <= s * power)


def _y_range(trend: Trend) -> tuple[float, float, float]:
    values = [float(m.value) for p in trend.points for m in p.values]
    for vital in trend.vitals:
        if vital.normal is not None:
            values += [float(vital.normal[0]), float(vital.normal[1])]
    low, high = min(values), max(values)
    step = _nice_step(high - low or max(abs(high) * 0.1, 1))
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    if low == high:
        high = low + step
    return low, high, step


def _label(value: float) -> str:
    return f"{value:g}"


def _when(point: Point, pattern: str = "j M Y H:i") -> str:
    return date_format(timezone.localtime(point.observation.taken_at), pattern)


def _marker(shape: str, x: float, y: float, r: float, fill: str, title: str) -> str:
    tip = f"<title>{escape(title)}</title>"
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
            f'fill="{fill}" stroke="#212529" stroke-width="0.8">{tip}</rect>'
        )
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" stroke="#212529" '
        f'stroke-width="0.8">{tip}</circle>'
    )


def trend_marks(trend: Trend) -> str:
    """The chart's elements inside its <svg>: grid, normal band(s), axes, labels, lines and
    points."""
    low, high, step = _y_range(trend)
    plot_w, plot_h = RIGHT - LEFT, BOTTOM - TOP

    def y_of(value: Decimal | float) -> float:
        return BOTTOM - (float(value) - low) / (high - low) * plot_h

    n = len(trend.points)

    def x_of(i: int) -> float:
        return LEFT + plot_w / 2 if n == 1 else LEFT + i * plot_w / (n - 1)

    parts: list[str] = []
    for vital in trend.vitals:  # the normal band first, under everything
        if vital.normal is not None:
            top, bottom = y_of(vital.normal[1]), y_of(vital.normal[0])
            parts.append(
                f'<rect class="vitals-band" x="{LEFT}" y="{top:.1f}" width="{plot_w}" '
                f'height="{bottom - top:.1f}" fill="{GREEN}" fill-opacity="0.14">'
                f"<title>Normal {escape(vital.label.lower())}: {vital.normal[0]}–"
                f"{vital.normal[1]} {escape(vital.unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{RIGHT - 2}" y="{top + 11:.1f}" text-anchor="end" fill="#0b5d45" '
                f'font-size="10">normal{" " + escape(vital.field) if len(trend.vitals) > 1 else ""}'
                "</text>"
            )
    tick = low
    while tick <= high + step / 2:
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{RIGHT}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(tick)}</text>'
        )
        tick += step
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}" stroke="#495057"/>')
    parts.append(f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#495057"/>')
    unit = escape(trend.vitals[0].unit)
    parts.append(
        f'<text x="12" y="{(TOP + BOTTOM) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(TOP + BOTTOM) / 2:.1f})">{unit}</text>'
    )
    shown = sorted({0, n - 1} | ({n // 2} if n >= 5 else set()))
    for i in shown:
        anchor = "start" if n > 1 and i == 0 else "end" if n > 1 and i == n - 1 else "middle"
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{BOTTOM + 15}" text-anchor="{anchor}">'
            f"{escape(_when(trend.points[i], 'j M y'))}</text>"
        )
    parts.append(
        f'<text x="{(LEFT + RIGHT) / 2:.1f}" y="{H - 8}" text-anchor="middle" fill="#495057">'
        f"Date taken ({n} reading{'s' if n != 1 else ''}, evenly spaced)</text>"
    )
    for s, vital in enumerate(trend.vitals):
        colour, shape = SERIES[s]
        xy = [(x_of(i), y_of(p.values[s].value)) for i, p in enumerate(trend.points)]
        if n > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            parts.append(
                f'<polyline class="vitals-line" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        for (x, y), point in zip(xy, trend.points, strict=True):
            measure = point.values[s]
            flag = measure.flag
            title = f"{_when(point)}: {vital.label} {measure}" + (f" ({flag})" if flag else "")
            if flag:
                parts.append(_marker(shape, x, y, 5.5, VERMILLION, title))
                dy = -9 if flag == "high" else 16
                parts.append(
                    f'<text class="vitals-flag" x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle" '
                    f'font-weight="bold" fill="#a33c00">{"H" if flag == "high" else "L"}</text>'
                )
            else:
                parts.append(_marker(shape, x, y, 3.5, colour, title))
    return "\n  ".join(parts)


def trend_description(trend: Trend) -> str:
    """The chart in words: what it shows, the latest value, and how many readings were
    outside the normal range."""
    latest = trend.latest
    values = " / ".join(str(m) for m in latest.values)
    flagged = sum(1 for p in trend.points if p.flag)
    normal = "; ".join(
        f"normal {v.label.lower()} {v.normal[0]}–{v.normal[1]} {v.unit}"
        for v in trend.vitals
        if v.normal is not None
    )
    return (
        f"{trend.label}, last {len(trend.points)} readings from {_when(trend.points[0])} to "
        f"{_when(latest)}; latest {values}"
        + (f" ({latest.flag})" if latest.flag else "")
        + (f"; {normal} (shaded)" if normal else "")
        + f"; {flagged} outside the normal range (marked H or L)."
    )


@register.simple_tag
def vitals_trend_svg(trend: Trend) -> SafeString:
    """One trend chart: an <svg role="img"> with its title and description."""
    ident = f"vitals-{trend.kind}"
    return mark_safe(  # noqa: S308 - every value is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" "
        f'font-size="11" class="vitals-chart" data-chart="{ident}">'
        f'<title id="{ident}-title">{escape(trend.label)} trend</title>'
        f'<desc id="{ident}-desc">{escape(trend_description(trend))}</desc>\n  '
        f"{trend_marks(trend)}\n</svg>"
    )


@register.inclusion_tag("clinical/_vitals_flag.html")
def vitals_flag(flag: str) -> dict[str, str]:
    """A "High"/"Low" badge: words and an arrow as well as colour."""
    return {"flag": flag}
