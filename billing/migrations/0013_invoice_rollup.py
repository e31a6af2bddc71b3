# The invoice list's totals strip in a few rows, whatever the years of history (issue 14).
#
# 0012's tally has a row per local day, due date, state and shard: the strip without a date
# filter summed every row of it (~35,000 after three years), and grew with each day. Here
# `billing_invoice_rollup` keeps the same count, total and paid by state and shard at four
# grains of the invoice's local day (its day, month, year, and all time: axis 'day') and, for
# the open states (unpaid, partly paid) only, three grains of its due date (axis 'due'):
#
# * no date filter: the all-time rows, at most 6 states x 8 shards;
# * a period: whole years, then whole months, then days at both ends (at most ~60 days);
# * overdue (open, due before today): the due years before this one, this year's months
#   before this one, this month's days before today.
#
# Kept by the same deltas as the tally (`billing_tally_add`, replaced here to add them to
# both), in the writer's transaction. Every row of each delta is taken in one order (all
# time, year, month, day), so two writers of one shard queue rather than deadlock.
#
# Bulk loaders that set `hms.defer_summaries = 'on'` (reports.summaries.defer) leave the
# tally, the revenue per day and these rows to `billing_summaries_rebuild()`, which
# reports.summaries.rebuild() calls; the amount paid on the invoice is always kept (the
# money check holds it to the payments at commit).

import importlib

from django.db import migrations

_0012 = importlib.import_module("billing.migrations.0012_invoice_list")
_cols = _0012._cols

OPEN = "('unpaid', 'partly_paid')"
ALL_TIME = "date '0001-01-01'"


def _grains(day: str, due: str, state: str) -> str:
    """The (axis, level, start) rows one delta of the tally adds to, in lock order."""
    return f"""(VALUES
        ('day', 3::smallint, {ALL_TIME}),
        ('day', 2::smallint, date_trunc('year', {day}::timestamp)::date),
        ('day', 1::smallint, date_trunc('month', {day}::timestamp)::date),
        ('day', 0::smallint, {day}),
        ('due', 2::smallint, CASE WHEN {state} IN {OPEN}
                                  THEN date_trunc('year', {due}::timestamp)::date END),
        ('due', 1::smallint, CASE WHEN {state} IN {OPEN}
                                  THEN date_trunc('month', {due}::timestamp)::date END),
        ('due', 0::smallint, CASE WHEN {state} IN {OPEN} THEN {due} END)
    ) AS g(axis, level, start)"""


FORWARD = rf"""
CREATE TABLE billing_invoice_rollup (
    axis text NOT NULL CONSTRAINT billing_invoice_rollup_axis CHECK (axis IN ('day', 'due')),
    level smallint NOT NULL CONSTRAINT billing_invoice_rollup_level CHECK (level BETWEEN 0 AND 3),
    start date NOT NULL,
    state text NOT NULL,
    shard smallint NOT NULL,
    invoices bigint NOT NULL DEFAULT 0,
    total numeric(20, 2) NOT NULL DEFAULT 0,
    paid numeric(20, 2) NOT NULL DEFAULT 0,
    CONSTRAINT billing_invoice_rollup_key PRIMARY KEY (axis, level, start, state, shard)
);
COMMENT ON TABLE billing_invoice_rollup IS
    'Invoices by state and shard per day/month/year/all time of the invoice day (axis day) '
    'and per day/month/year of the due date for open states (axis due); billing 0013.';

CREATE FUNCTION billing_rollup_add(
    p_day date, p_due date, p_state text, p_shard int, p_n int, p_total numeric, p_paid numeric
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO billing_invoice_rollup AS r (axis, level, start, state, shard, invoices, total,
                                             paid)
    SELECT g.axis, g.level, g.start, p_state, p_shard, p_n, p_total, p_paid
    FROM {_grains("p_day", "p_due", "p_state")}
    WHERE g.start IS NOT NULL
    ORDER BY g.axis, g.level DESC
    ON CONFLICT ON CONSTRAINT billing_invoice_rollup_key DO UPDATE
        SET invoices = r.invoices + EXCLUDED.invoices, total = r.total + EXCLUDED.total,
            paid = r.paid + EXCLUDED.paid
$$;

-- Each delta of the tally now also moves the roll-up; deferred loaders skip both.
CREATE OR REPLACE FUNCTION billing_tally_add(
    p_day date, p_due date, p_state text, p_shard int, p_n int, p_total numeric, p_paid numeric
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hms.defer_summaries', true) = 'on' THEN
        RETURN;
    END IF;
    INSERT INTO billing_invoice_tally AS t (day, due_date, state, shard, invoices, total, paid)
    VALUES (p_day, p_due, p_state, p_shard, p_n, p_total, p_paid)
    ON CONFLICT ON CONSTRAINT billing_invoice_tally_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, total = t.total + EXCLUDED.total,
            paid = t.paid + EXCLUDED.paid;
    PERFORM billing_rollup_add(p_day, p_due, p_state, p_shard, p_n, p_total, p_paid);
END
$$;

CREATE OR REPLACE FUNCTION billing_revenue_add(
    p_day date, p_shard int, p_invoices int, p_payments int,
    {_cols("p_{c} numeric")}
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hms.defer_summaries', true) = 'on' THEN
        RETURN;
    END IF;
    INSERT INTO billing_revenue_day AS t (day, shard, invoices, payments, {_cols("{c}")})
    VALUES (p_day, p_shard, p_invoices, p_payments, {_cols("p_{c}")})
    ON CONFLICT ON CONSTRAINT billing_revenue_day_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, payments = t.payments + EXCLUDED.payments,
            {_cols("{c} = t.{c} + EXCLUDED.{c}")};
END
$$;

-- The roll-up again from the invoices.
CREATE FUNCTION billing_invoice_rollup_rebuild() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE billing_invoice IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM billing_invoice_rollup;
    INSERT INTO billing_invoice_rollup (axis, level, start, state, shard, invoices, total, paid)
    SELECT g.axis, g.level, g.start, t.state, t.shard, sum(t.n), sum(t.total), sum(t.paid)
    FROM (
        SELECT billing_local_day(COALESCE(i.issued_at, i.created_at)) AS day,
               i.due_date AS due, billing_invoice_state(i.status, i.amount_paid) AS state,
               mod(i.id, 8) AS shard, count(*) AS n, sum(i.total) AS total,
               sum(i.amount_paid) AS paid
        FROM billing_invoice i
        GROUP BY 1, 2, 3, 4
    ) t
    CROSS JOIN LATERAL {_grains("t.day", "t.due", "t.state")}
    WHERE g.start IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5;
END
$$;

-- Every figure again (0012's tally and revenue, then the roll-up): after a deferred bulk load,
-- a TRUNCATE, a change of zone. The TRUNCATE triggers call it by this name.
ALTER FUNCTION billing_summaries_rebuild() RENAME TO billing_summaries_rebuild_0012;
CREATE FUNCTION billing_summaries_rebuild() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM billing_summaries_rebuild_0012();
    PERFORM billing_invoice_rollup_rebuild();
END
$$;
"""

BACKFILL = "SELECT billing_invoice_rollup_rebuild()"

BACKWARD = rf"""
DROP FUNCTION IF EXISTS billing_summaries_rebuild();
ALTER FUNCTION billing_summaries_rebuild_0012() RENAME TO billing_summaries_rebuild;
DROP FUNCTION IF EXISTS billing_invoice_rollup_rebuild();
CREATE OR REPLACE FUNCTION billing_revenue_add(
    p_day date, p_shard int, p_invoices int, p_payments int,
    {_cols("p_{c} numeric")}
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO billing_revenue_day AS t (day, shard, invoices, payments, {_cols("{c}")})
    VALUES (p_day, p_shard, p_invoices, p_payments, {_cols("p_{c}")})
    ON CONFLICT ON CONSTRAINT billing_revenue_day_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, payments = t.payments + EXCLUDED.payments,
            {_cols("{c} = t.{c} + EXCLUDED.{c}")}
$$;
CREATE OR REPLACE FUNCTION billing_tally_add(
    p_day date, p_due date, p_state text, p_shard int, p_n int, p_total numeric, p_paid numeric
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO billing_invoice_tally AS t (day, due_date, state, shard, invoices, total, paid)
    VALUES (p_day, p_due, p_state, p_shard, p_n, p_total, p_paid)
    ON CONFLICT ON CONSTRAINT billing_invoice_tally_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, total = t.total + EXCLUDED.total,
            paid = t.paid + EXCLUDED.paid
$$;
DROP FUNCTION IF EXISTS billing_rollup_add(date, date, text, int, int, numeric, numeric);
DROP TABLE IF EXISTS billing_invoice_rollup;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_invoice_list")]

    operations = [migrations.RunSQL([FORWARD, BACKFILL], [BACKWARD])]
