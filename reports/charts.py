"""Server-rendered SVG charts: the geometry is worked out here, the templates draw it.

Colours come from the Okabe–Ito palette (readable with colour-blind eyes), and colour is never
the only signal: every chart has a legend with words, every mark a tooltip (`<title>`), the
numbers are written on the chart, and the same figures are in the table beside it.
Inputs are the reports' aggregated rows (a few dozen at most), never raw data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

BLUE, ORANGE, GREEN, SKY, VERMILLION, PINK, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#56B4E9",
    "#D55E00",
    "#CC79A7",
    "#8C8C8C",
)
STATUS_COLOURS = {
    "completed": GREEN,
    "checked_in": SKY,
    "scheduled": BLUE,
    "no_show": VERMILLION,
    "cancelled": GREY,
}
STATUS_LABELS = {
    "completed": "Completed",
    "checked_in": "Checked in",
    "scheduled": "Scheduled",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}


class _Rounded:
    """Coordinates to 0.1 px: short SVG, nothing visible lost."""

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            if isinstance(getattr(self, name, None), float):
                object.__setattr__(self, name, round(getattr(self, name), 1))


@dataclass(frozen=True)
class LegendItem(_Rounded):
    x: float
    colour: str
    label: str


@dataclass(frozen=True)
class Rect(_Rounded):
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Text(_Rounded):
    x: float
    y: float
    text: str
    anchor: str = "start"
    colour: str = "#212529"


@dataclass
class Chart:
    """One SVG: rectangles, texts and grid lines in a `width` × `height` view box."""

    width: float
    height: float
    title: str
    description: str
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    legend_y: float = 0


def _legend(items: Sequence[tuple[str, str]], x0: float = 0) -> list[LegendItem]:
    legend, x = [], x0
    for colour, label in items:
        legend.append(LegendItem(x, colour, label))
        x += 24 + 7.5 * len(label) + 18
    return legend


def _fmt(value: int | Decimal | float) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def _nice_max(value: float) -> float:
    """The smallest tidy axis top (1, 1.2, 1.6, 2 … 8 × 10^n) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    # Tops whose quarters are round too (the grid has lines at ¼, ½ and ¾).
    for step in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


# --- horizontal bars ----------------------------------------------------------------------

LABEL_W, BAR_H, ROW_H, TOP = 200, 20, 30, 34


def _hbars(
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[tuple[int, str, str]]]],
    legend: Sequence[tuple[str, str]],
    width: float = 760,
) -> Chart:
    """One bar per row made of (value, colour, tooltip) segments, its total written after."""
    plot_w = width - LABEL_W - 60
    biggest = max((sum(v for v, _, _ in segs) for _, segs in rows), default=0) or 1
    top = TOP if legend else 4
    chart = Chart(width, top + ROW_H * len(rows) + 10, title, description)
    chart.legend, chart.legend_y = _legend(legend, LABEL_W), 8
    for i, (label, segments) in enumerate(rows):
        y = top + i * ROW_H
        chart.texts.append(Text(LABEL_W - 8, y + BAR_H - 5, label, "end"))
        x = LABEL_W
        for value, colour, tooltip in segments:
            if value:
                w = plot_w * value / biggest
                chart.rects.append(Rect(x, y, w, BAR_H, colour, tooltip))
                x += w
        chart.texts.append(Text(x + 6, y + BAR_H - 5, _fmt(sum(v for v, _, _ in segments))))
    return chart


def status_bars(counts: Sequence[tuple[str, str, int]]) -> Chart:
    """Appointments by status: one bar per status."""
    rows = [(label, [(n, STATUS_COLOURS[value], f"{label}: {n}")]) for value, label, n in counts]
    total = sum(n for _, _, n in counts)
    return _hbars(
        "Appointments by status",
        f"{total} appointments in the period, by status.",
        rows,
        legend=(),
    )


def workload_bars(rows: Sequence[tuple]) -> Chart:
    """Doctor workload: a bar per doctor stacked by status (columns of WORKLOAD_COLUMNS)."""
    order = ("completed", "checked_in", "scheduled", "no_show", "cancelled")
    index = {"completed": 4, "cancelled": 5, "no_show": 6, "scheduled": 7, "checked_in": 8}
    bars = []
    for row in rows:
        name = f"{row[1]} ({row[0]})"
        segments = [
            (row[index[s]], STATUS_COLOURS[s], f"{name} · {STATUS_LABELS[s]}: {row[index[s]]}")
            for s in order
        ]
        bars.append((name if len(name) <= 28 else name[:27] + "…", segments))
    return _hbars(
        "Appointments per doctor",
        f"Appointments of {len(rows)} doctors, stacked by status.",
        bars,
        legend=[(STATUS_COLOURS[s], STATUS_LABELS[s]) for s in order],
    )


# --- population pyramid -------------------------------------------------------------------


def population_pyramid(rows: Sequence[tuple]) -> Chart:
    """Men to the left, women to the right, oldest band on top (DEMOGRAPHICS_COLUMNS rows)."""
    bands = [r for r in rows if r[0] != "unknown"][::-1]
    width, centre_w, top, row_h, bar_h = 760, 70, 34, 22, 17
    half = (width - centre_w) / 2 - 40
    biggest = max((max(r[1], r[2]) for r in bands), default=0) or 1
    women = sum(r[1] for r in bands)
    men = sum(r[2] for r in bands)
    others = sum(r[3] + r[4] for r in bands)
    chart = Chart(
        width,
        top + row_h * len(bands) + 10,
        "Patients by age and sex",
        f"Population pyramid of {women} women (right) and {men} men (left) by five-year age "
        f"band, oldest at the top; {others} patients of other or unknown sex are in the table "
        "only.",
    )
    left_edge = width / 2 - centre_w / 2
    right_edge = width / 2 + centre_w / 2
    # Each half labelled above itself, in words: the colour is not the only cue.
    chart.legend = [
        LegendItem(left_edge - 70, ORANGE, "Men"),
        LegendItem(right_edge + 10, BLUE, "Women"),
    ]
    chart.legend_y = 8
    for i, (band, female, male, *_rest) in enumerate(bands):
        y = top + i * row_h
        chart.texts.append(Text(width / 2, y + bar_h - 4, band, "middle"))
        w_m = half * male / biggest
        w_f = half * female / biggest
        if male:
            chart.rects.append(Rect(left_edge - w_m, y, w_m, bar_h, ORANGE, f"{band}: {male} men"))
        if female:
            chart.rects.append(Rect(right_edge, y, w_f, bar_h, BLUE, f"{band}: {female} women"))
        chart.texts.append(Text(left_edge - w_m - 5, y + bar_h - 4, _fmt(male), "end"))
        chart.texts.append(Text(right_edge + w_f + 5, y + bar_h - 4, _fmt(female)))
    return chart


# --- weekday × hour heatmap ---------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LOW, HIGH = (239, 243, 255), (8, 48, 107)  # pale to dark blue


def _shade(share: float) -> str:
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(LOW, HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def weekday_hour_heatmap(cells: Sequence[tuple]) -> Chart:
    """Bookings per local weekday × hour; darker is busier and each cell shows its count.

    `cells` are the `weekday_hour` rows of PATTERNS_COLUMNS (only cells with bookings); the
    hours shown run from the earliest to the latest booked hour (08–17 when there is none).
    """
    counts = {(r[3], r[5]): r for r in cells}
    hours = [h for _, h in counts] or [8, 17]
    first, last = min(hours), max(hours)
    cell_w, cell_h, left, top = 38, 30, 50, 24
    columns = range(first, last + 1)
    biggest = max((r[6] for r in cells), default=0) or 1
    chart = Chart(
        left + cell_w * len(columns) + 4,
        top + cell_h * 7 + 4,
        "Bookings by weekday and hour",
        f"Heatmap of {sum(r[6] for r in cells)} bookings by weekday (rows) and starting hour "
        f"(columns, {first:02d}:00 to {last:02d}:00); darker cells have more bookings.",
    )
    for j, hour in enumerate(columns):
        chart.texts.append(Text(left + j * cell_w + cell_w / 2, top - 8, f"{hour:02d}", "middle"))
    for day in range(7):
        y = top + day * cell_h
        chart.texts.append(Text(left - 8, y + cell_h / 2 + 5, WEEKDAYS[day], "end"))
        for j, hour in enumerate(columns):
            row = counts.get((day, hour))
            n = row[6] if row else 0
            share = n / biggest
            tooltip = f"{WEEKDAYS[day]} {hour:02d}:00 – {n} bookings"
            if row:
                tooltip += f", {row[8]} cancelled, {row[9]} no-show"
            x = left + j * cell_w
            chart.rects.append(Rect(x, y, cell_w - 2, cell_h - 2, _shade(share), tooltip))
            if n:
                colour = "#ffffff" if share > 0.5 else "#212529"
                chart.texts.append(
                    Text(x + cell_w / 2 - 1, y + cell_h / 2 + 4, str(n), "middle", colour)
                )
    return chart


# --- revenue: grouped columns per month ---------------------------------------------------


def revenue_columns(rows: Sequence[tuple]) -> Chart:
    """Invoiced, paid and outstanding side by side for each month (REVENUE_COLUMNS rows)."""
    series = ((1, BLUE, "Invoiced"), (2, GREEN, "Paid"), (3, VERMILLION, "Outstanding"))
    left, top, plot_h, bar_w, gap = 80, 40, 220, 14, 16
    group_w = bar_w * len(series) + gap
    width = max(left + group_w * len(rows) + 20, 420)
    top_value = _nice_max(float(max((max(r[1], r[2], r[3]) for r in rows), default=0)))
    chart = Chart(
        width,
        top + plot_h + 34,
        "Revenue per month",
        f"Invoiced, paid and outstanding amounts for {len(rows)} months, as grouped columns.",
    )
    chart.legend, chart.legend_y = _legend([(c, label) for _, c, label in series], left), 8
    for k in range(5):  # grid lines at 0, ¼, ½, ¾ and the top
        value = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        chart.lines.append((left, round(y, 1), width - 10, round(y, 1)))
        chart.texts.append(Text(left - 6, y + 4, f"{value:,.0f}", "end"))
    for i, row in enumerate(rows):
        x0 = left + gap / 2 + i * group_w
        for j, (index, colour, label) in enumerate(series):
            value = row[index]
            h = plot_h * float(value) / top_value
            chart.rects.append(
                Rect(
                    x0 + j * bar_w,
                    top + plot_h - h,
                    bar_w - 1,
                    h,
                    colour,
                    f"{row[0]} {label}: {value}",
                )
            )
        chart.texts.append(Text(x0 + bar_w * 1.5, top + plot_h + 16, row[0], "middle"))
    return chart


# --- waiting times ------------------------------------------------------------------------


def waiting_bars(rows: Sequence[tuple]) -> Chart:
    """Waiting times: a bar per hour of check-in with the average wait until the call, over
    the doctors of the rows (columns of WAITING_COLUMNS), weighted by the patients called."""
    called: dict[int, int] = {}
    minutes: dict[int, Decimal] = {}
    for row in rows:
        hour, count, average = row[2], row[4], row[5]
        if count and average is not None:
            called[hour] = called.get(hour, 0) + count
            minutes[hour] = minutes.get(hour, Decimal(0)) + average * count
    bars = []
    for hour in sorted(called):
        average = (minutes[hour] / called[hour]).quantize(Decimal("0.1"))
        label = f"{hour:02d}:00–{hour:02d}:59"
        tooltip = f"Checked in {label}: {average} min on average until called ({called[hour]})"
        bars.append((label, [(average, BLUE, tooltip)]))
    return _hbars(
        "Average wait until called, by hour",
        f"Minutes from check-in to the call, by hour of check-in, over {sum(called.values())} "
        "patients called.",
        bars,
        legend=(),
    )
