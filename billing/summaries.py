"""Figures the database keeps as invoices and payments are written (billing/migrations/0012).

* `billing_invoice.amount_paid`: the sum of the invoice's payments.
* `billing_invoice_tally`: count, total and paid per local day of the invoice (issue day, or
  creation day for a draft), due date, state and shard. The invoice list's totals strip reads
  it instead of summing every invoice: a few hundred rows for any filter but the search.
* `billing_revenue_day`: the revenue report's figures per local day and shard
  (reports/selectors/revenue.py reads it).

Row triggers keep both in the writing transaction, as deltas, so they are exact under
concurrent writes. They take local days in the zone stored with them; `zone_is_current()`
says whether that is still the hospital's, else the readers compute from the rows.

These are plain tables, not models: only the database writes them, and nobody edits or
browses them as records.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

ZERO = Decimal("0.00")
TALLY = "billing_invoice_tally"
REVENUE_DAY = "billing_revenue_day"
ROLLUP = "billing_invoice_rollup"

# The list's status filters as the tally's states (an issued invoice is unpaid or partly paid).
TALLY_STATES: dict[str, tuple[str, ...]] = {
    "draft": ("draft",),
    "open": ("unpaid", "partly_paid"),
    "unpaid": ("unpaid",),
    "partly_paid": ("partly_paid",),
    "paid": ("paid",),
    "void": ("void",),
}
BILLED = ("unpaid", "partly_paid", "paid")  # issued or paid: what the strip adds up
OPEN = ("unpaid", "partly_paid")  # issued: what can be overdue


def zone_is_current() -> bool:
    """Whether the summaries' local days are the hospital's (`settings.TIME_ZONE`). One query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM billing_summary_zone WHERE id = 1")
        row = cursor.fetchone()
    return row is not None and row[0] == settings.TIME_ZONE


def rebuild() -> None:
    """Every figure of this module again from the invoices, lines and payments: after a bulk
    load that deferred them (reports.summaries), or a change of zone. Locks the three tables
    against writes until the caller's transaction ends; about a second per 100,000 invoices."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT billing_summaries_rebuild()")


def invoice_tally(
    *,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    overdue_on: datetime.date | None = None,
) -> dict[str, Any] | None:
    """The totals strip of the invoice list for these filters (`overdue_on`: issued and due
    before that day): count, invoiced, paid_total and balance. One query; None when the
    summaries' zone is not the hospital's (the caller then sums the invoices).

    What it reads, by filter (billing/migrations/0013), none of it growing with the invoices:
    no dates, the all-time rows of the roll-up (at most 48); a period, its whole years, whole
    months and end days; overdue, the due years, months and days before `overdue_on`. Only
    overdue within a period reads the tally, one row per day, due date, state and shard of
    the period."""
    states = set(TALLY_STATES.get(status, ())) if status else None
    if overdue_on is not None:
        states = (states if states is not None else set(BILLED)) & set(OPEN)
    params: dict[str, Any] = {"billed": list(BILLED), "states": sorted(states or ())}
    where = ["t.state = ANY(%(states)s::text[])"] if states is not None else []
    if overdue_on is not None and (date_from or date_to):
        table = TALLY
        where.append("t.due_date < %(overdue_on)s")
        params["overdue_on"] = overdue_on
        if date_from is not None:
            where.append("t.day >= %(date_from)s")
            params["date_from"] = date_from
        if date_to is not None:
            where.append("t.day <= %(date_to)s")
            params["date_to"] = date_to
    else:
        table = ROLLUP
        if overdue_on is not None:
            axis, spans = "due", _spans(_FIRST, overdue_on)
        elif date_from or date_to:
            end = min(date_to, _LAST) + datetime.timedelta(days=1) if date_to else _LAST
            axis, spans = "day", _spans(max(date_from or _FIRST, _FIRST), end)
        else:
            axis, spans = "day", [(ALL_TIME, _FIRST, _FIRST + datetime.timedelta(days=1))]
        params["axis"] = axis
        where.append("t.axis = %(axis)s")
        ors = []
        for n, (level, first, end) in enumerate(spans):
            ors.append(f"(t.level = %(l{n})s AND t.start >= %(f{n})s AND t.start < %(e{n})s)")
            params.update({f"l{n}": level, f"f{n}": first, f"e{n}": end})
        where.append(f"({' OR '.join(ors) or 'FALSE'})")
    sql = f"""
        SELECT (SELECT z.name FROM billing_summary_zone z WHERE z.id = 1),
               COALESCE(sum(t.invoices), 0),
               COALESCE(sum(t.total) FILTER (WHERE t.state = ANY(%(billed)s::text[])), 0),
               COALESCE(sum(t.paid) FILTER (WHERE t.state = ANY(%(billed)s::text[])), 0)
        FROM {table} t
        WHERE {" AND ".join(where) or "TRUE"}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        zone, count, invoiced, paid = cursor.fetchone()
    if zone != settings.TIME_ZONE:
        return None
    invoiced, paid = Decimal(invoiced).quantize(ZERO), Decimal(paid).quantize(ZERO)
    return {
        "count": int(count),
        "invoiced": invoiced,
        "paid_total": paid,
        "balance": invoiced - paid,
        "capped": False,
    }


# The roll-up's levels (billing 0013): a row per day, month, year of a date, or all time.
DAY, MONTH, YEAR, ALL_TIME = 0, 1, 2, 3
# Its all-time rows start here; no invoice is dated after _LAST.
_FIRST, _LAST = datetime.date(1, 1, 1), datetime.date(9000, 1, 1)
Span = tuple[int, datetime.date, datetime.date]


def _spans(first: datetime.date, end: datetime.date) -> list[Span]:
    """The days [first, end) as the fewest rows of the roll-up: (level, from, to) with the
    starts of the rows in [from, to). Whole years, then whole months at both ends, then days
    at both ends: a few years and at most 22 months and 60 days, however long the period."""
    if first >= end:
        return []
    year_from = first if (first.month, first.day) == (1, 1) else datetime.date(first.year + 1, 1, 1)
    year_to = datetime.date(end.year, 1, 1)
    if year_from < year_to:
        return [
            *_month_spans(first, year_from),
            (YEAR, year_from, year_to),
            *_month_spans(year_to, end),
        ]
    return _month_spans(first, end)


def _month_spans(first: datetime.date, end: datetime.date) -> list[Span]:
    if first >= end:
        return []
    month_from = first if first.day == 1 else _next_month(first)
    month_to = end.replace(day=1)
    if month_from >= month_to:
        return [(DAY, first, end)]
    spans = [(DAY, first, month_from), (MONTH, month_from, month_to), (DAY, month_to, end)]
    return [s for s in spans if s[1] < s[2]]


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
