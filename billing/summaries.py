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


def zone_is_current() -> bool:
    """Whether the summaries' local days are the hospital's (`settings.TIME_ZONE`). One query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM billing_summary_zone WHERE id = 1")
        row = cursor.fetchone()
    return row is not None and row[0] == settings.TIME_ZONE


def invoice_tally(
    *,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    overdue_on: datetime.date | None = None,
) -> dict[str, Any] | None:
    """The totals strip of the invoice list for these filters (`overdue_on`: issued and due
    before that day): count, invoiced, paid_total and balance, from the tally. One query over
    the tally's rows for the period, whatever the number of invoices; None when the tally's
    zone is not the hospital's (the caller then sums the invoices)."""
    clauses = ["TRUE"]
    params: dict[str, Any] = {"billed": list(BILLED)}
    states = set(TALLY_STATES.get(status, ())) if status else None
    if overdue_on is not None:
        states = (states if states is not None else set(BILLED)) & {"unpaid", "partly_paid"}
        clauses.append("t.due_date < %(overdue_on)s")
        params["overdue_on"] = overdue_on
    if states is not None:
        clauses.append("t.state = ANY(%(states)s::text[])")
        params["states"] = sorted(states)
    if date_from is not None:
        clauses.append("t.day >= %(date_from)s")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("t.day <= %(date_to)s")
        params["date_to"] = date_to
    sql = f"""
        SELECT (SELECT z.name FROM billing_summary_zone z WHERE z.id = 1),
               COALESCE(sum(t.invoices), 0),
               COALESCE(sum(t.total) FILTER (WHERE t.state = ANY(%(billed)s::text[])), 0),
               COALESCE(sum(t.paid) FILTER (WHERE t.state = ANY(%(billed)s::text[])), 0)
        FROM {TALLY} t
        WHERE {" AND ".join(clauses)}"""
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
