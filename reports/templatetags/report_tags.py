"""Table cells of the report pages: numbers aligned right, money columns as money in the
hospital's currency, statuses as badges, None as a dash."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from django import template
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from appointments.models import AppointmentStatus
from core.templatetags.money import format_money
from reports.charts import Chart

register = template.Library()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register.filter
def with_columns(row: Sequence[object], columns: Sequence[str]) -> list[tuple[object, str]]:
    """Pair each value of a row with its column name."""
    return list(zip(row, columns, strict=True))


@register.filter
def is_number(value: object) -> bool:
    return _is_number(value)


@register.filter
def status_label(value: str) -> str:
    try:
        return AppointmentStatus(value).label
    except ValueError:
        return value


@register.simple_tag
def table_header(labels: Sequence[str], rows: Sequence[Sequence[object]]) -> list[tuple[str, bool]]:
    """(label, numeric) per column; a column is numeric when its first row's value is."""
    first = rows[0] if rows else [None] * len(labels)
    return [(label, _is_number(value)) for label, value in zip(labels, first, strict=True)]


# The page's loops in Python: a page of 50 rows × 12 columns, or a chart of 250 marks, is
# thousands of template nodes (30-40 ms); the same markup joined here takes a millisecond.

_BADGES = {
    "scheduled": "text-bg-secondary",
    "checked_in": "text-bg-warning",
    "completed": "text-bg-success",
    "cancelled": "text-bg-dark",
}


def _cell(value: object, column: str, money: Collection[str], currency: str) -> str:
    """As `{{ value }}` writes it: localized (dates as the site writes them), escaped; in a
    money column as `{{ value|money:currency }}`."""
    if column == "status":
        badge = _BADGES.get(str(value), "text-bg-danger")
        return f'<td><span class="badge {badge}">{escape(status_label(str(value)))}</span></td>'
    if value is None:
        return '<td><span aria-label="none">—</span></td>'
    if column in money and _is_number(value):
        return f'<td class="num text-nowrap">{escape(format_money(value, currency))}</td>'
    text = escape(localize(template_localtime(value)))
    return f'<td class="num">{text}</td>' if _is_number(value) else f"<td>{text}</td>"


@register.simple_tag
def report_rows(
    rows: Sequence[Sequence[object]],
    columns: Sequence[str],
    money: Collection[str] = frozenset(),
    currency: str = "",
) -> str:
    """The table body's rows: numbers right-aligned, the `money` columns' amounts with
    separators and the `currency`, statuses as badges, None as a dash."""
    return mark_safe(  # noqa: S308 - every value is escaped above
        "\n".join(
            "<tr>"
            + "".join(_cell(v, c, money, currency) for v, c in zip(row, columns, strict=True))
            + "</tr>"
            for row in rows
        )
    )


_RATE_COLUMNS = (
    "bookings",
    "completed",
    "cancelled",
    "no_show",
    "cancellation_pct",
    "no_show_pct",
    "median_lead_days",
)


@register.simple_tag
def pattern_rows(groups: Sequence[dict[str, object]], key: str) -> str:
    """Appointment-patterns' rate table rows (reports/_pattern_rates.html), a weekday or a
    doctor ("Name (code)") each, then its counts, rates and median lead time, localized and
    escaped as `{{ value }}` writes them; no figure (no bookings): a dash."""

    def name(g: dict[str, object]) -> str:
        if key == "doctor_name":
            return (
                f"{escape(g['doctor_name'])} "
                f'<span class="text-body-secondary">({escape(g["doctor_code"])})</span>'
            )
        return escape(g["weekday_name"])

    def figure(value: object) -> str:
        return "—" if value is None else escape(localize(value))

    return mark_safe(  # noqa: S308 - every value is escaped above
        "\n".join(
            f"<tr><td>{name(g)}</td>"
            + "".join(f'<td class="num">{figure(g[c])}</td>' for c in _RATE_COLUMNS)
            + "</tr>"
            for g in groups
        )
    )


@register.simple_tag
def chart_marks(chart: Chart) -> str:
    """The chart's grid lines, legend, rectangles and texts as SVG elements."""
    parts = [
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#dee2e6"/>'
        for x1, y1, x2, y2 in chart.lines
    ]
    y = chart.legend_y
    parts += [
        f'<rect x="{i.x}" y="{y}" width="14" height="14" fill="{escape(i.colour)}"/>'
        f'<text x="{_add(i.x, 20)}" y="{_add(y, 12)}">{escape(i.label)}</text>'
        for i in chart.legend
    ]
    parts += [
        f'<rect x="{r.x}" y="{r.y}" width="{r.width}" height="{r.height}" '
        f'fill="{escape(r.colour)}"><title>{escape(r.title)}</title></rect>'
        for r in chart.rects
    ]
    parts += [
        f'<text x="{t.x}" y="{t.y}" text-anchor="{escape(t.anchor)}" '
        f'fill="{escape(t.colour)}">{escape(t.text)}</text>'
        for t in chart.texts
    ]
    return mark_safe("\n  ".join(parts))  # noqa: S308 - every value is escaped above


def _add(value: float, offset: int) -> float | int:
    """As the template's `add` filter did: an int stays an int."""
    return value + offset
