"""Table cells of the report pages: numbers aligned right, statuses as badges, None as a dash."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import template

from appointments.models import AppointmentStatus

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
