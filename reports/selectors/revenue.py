"""The revenue report."""

from __future__ import annotations

import datetime

from billing import summaries
from billing.models import InvoiceStatus, LineKind
from reports.selectors._base import ReportRows, T, fetch, period_clauses, sql_list, tz_param

REVENUE_COLUMNS = (
    "month",
    "invoiced",
    "paid",
    "outstanding",
    "medication",
    "surgery",
    "consultation",
    "minimum_charge",
    "other",
    "tax",
)
ISSUED = (InvoiceStatus.ISSUED.value, InvoiceStatus.PAID.value)


def revenue_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Money per local calendar month, every month from the first to the last with activity.

    invoiced: totals of issued and paid invoices by `issued_at` month (tax included); paid:
    payments by `received_at` month; outstanding: what is still unpaid today of the invoices
    issued that month; medication … other: the active lines of those invoices by kind (they
    add up to the subtotal), and tax. Drafts and void invoices count nowhere.

    Read from the roll-up per local day the database keeps as invoices and payments are
    written (billing/summaries.py): two queries whose cost follows the days of the period
    (8 rows a day), not the invoices. While the roll-up's zone is not the hospital's, the
    figures are computed from the invoices themselves (`_revenue_from_invoices`).
    """
    if not summaries.zone_is_current():
        return _revenue_from_invoices(
            date_from=date_from, date_to=date_to, limit=limit, stream=stream
        )
    clauses, params = [], {}
    if date_from is not None:
        clauses.append("d.day >= %(date_from)s")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("d.day <= %(date_to)s")
        params["date_to"] = date_to
    money = ("invoiced", "paid", "outstanding", *(k.value for k in LineKind), "tax")
    sums = ", ".join(f"sum(d.{c}) AS {c}" for c in money)
    shown = ", ".join(f"COALESCE(m.{c}, 0)::numeric(20, 2)" for c in money)
    sql = f"""
        WITH months AS (
            SELECT date_trunc('month', d.day)::date AS month,
                   sum(d.invoices) AS invoices, sum(d.payments) AS payments, {sums}
            FROM {summaries.REVENUE_DAY} d
            WHERE {" AND ".join(clauses) or "TRUE"}
            GROUP BY 1
        ),
        span AS (
            SELECT min(month) AS m0, max(month) AS m1
            FROM months WHERE invoices > 0 OR payments > 0
        )
        SELECT to_char(s.month, 'YYYY-MM'), {shown}
        FROM span
        CROSS JOIN LATERAL generate_series(
            span.m0::timestamp, span.m1::timestamp, interval '1 month'
        ) AS s(month)
        LEFT JOIN months m ON m.month = s.month::date
        ORDER BY s.month"""
    return fetch(sql, params, columns=REVENUE_COLUMNS, limit=limit, stream=stream)


def _revenue_from_invoices(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """The same figures from the invoices, payments and lines: a pass over all of them."""
    inv_clauses, inv_params = period_clauses("i.issued_at", date_from, date_to)
    pay_clauses, pay_params = period_clauses("pm.received_at", date_from, date_to)
    inv_where = " AND ".join([f"i.status IN ({sql_list(ISSUED)})", *inv_clauses])
    pay_where = " AND ".join(pay_clauses) or "TRUE"
    month = "date_trunc('month', {} AT TIME ZONE %(tz)s)::date"
    kinds = ", ".join(
        f"sum(l.amount) FILTER (WHERE l.kind = '{k}') AS {k}" for k in (k.value for k in LineKind)
    )
    kind_cols = ", ".join(f"COALESCE(k.{k.value}, 0)::numeric(20, 2)" for k in LineKind)
    sql = f"""
        WITH inv AS (
            SELECT i.id, i.total, i.tax, {month.format("i.issued_at")} AS month
            FROM {T["invoice"]} i
            WHERE {inv_where}
        ),
        paid_so_far AS (
            SELECT pm.invoice_id, sum(pm.amount) AS amount
            FROM {T["payment"]} pm
            WHERE pm.invoice_id IN (SELECT id FROM inv)
            GROUP BY pm.invoice_id
        ),
        invoiced AS (
            SELECT inv.month, sum(inv.total) AS invoiced, sum(inv.tax) AS tax,
                   sum(inv.total - COALESCE(ps.amount, 0)) AS outstanding
            FROM inv LEFT JOIN paid_so_far ps ON ps.invoice_id = inv.id
            GROUP BY inv.month
        ),
        by_kind AS (
            SELECT inv.month, {kinds}
            FROM inv JOIN {T["line"]} l ON l.invoice_id = inv.id AND l.is_active
            GROUP BY inv.month
        ),
        received AS (
            SELECT {month.format("pm.received_at")} AS month, sum(pm.amount) AS paid
            FROM {T["payment"]} pm
            WHERE {pay_where}
            GROUP BY 1
        ),
        span AS (
            SELECT min(month) AS m0, max(month) AS m1
            FROM (SELECT month FROM invoiced UNION ALL SELECT month FROM received) x
        )
        SELECT to_char(m.month, 'YYYY-MM'),
               COALESCE(v.invoiced, 0)::numeric(20, 2), COALESCE(r.paid, 0)::numeric(20, 2),
               COALESCE(v.outstanding, 0)::numeric(20, 2), {kind_cols},
               COALESCE(v.tax, 0)::numeric(20, 2)
        FROM span
        CROSS JOIN LATERAL generate_series(
            span.m0::timestamp, span.m1::timestamp, interval '1 month'
        ) AS m(month)
        LEFT JOIN invoiced v ON v.month = m.month::date
        LEFT JOIN received r ON r.month = m.month::date
        LEFT JOIN by_kind k ON k.month = m.month::date
        ORDER BY m.month"""
    params = {**inv_params, **pay_params, **tz_param()}
    return fetch(sql, params, columns=REVENUE_COLUMNS, limit=limit, stream=stream)
