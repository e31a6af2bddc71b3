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
# The tally and the roll-up are kept here now, in the writer's transaction: inserts and
# deletes per statement (transition tables: a loader's INSERT of 100,000 invoices adds up its
# deltas once, where 0012's row trigger upserted a tally row per invoice), updates per row and
# only when a figure moves (a payment updates one invoice). Summary rows are taken in key
# order, so two writers queue rather than deadlock. The row trigger keeps the revenue per day
# and the check that a new invoice is paid nothing yet. The functions' names match
# hms.dbroles.SUMMARY_WRITERS: they run as the owner, and the application's login only reads
# the roll-up (hms.dbroles.SUMMARY_TABLES).
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


def _original(name: str) -> str:
    """0012's CREATE FUNCTION `name` statement, as OR REPLACE (to put it back)."""
    start = _0012.FORWARD.index(f"CREATE FUNCTION {name}(")
    end = _0012.FORWARD.index("\n$$;", start) + len("\n$$;")
    return _0012.FORWARD[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


# 0012's row trigger of invoices without its tally: the revenue per day and the new-invoice
# check only (the statement triggers below keep the tally).
KINDS = _0012.KINDS
ROW_TRIGGER = f"""
CREATE OR REPLACE FUNCTION billing_invoice_summaries() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    k record;
    old_counted boolean := TG_OP <> 'INSERT' AND OLD.status IN ('issued', 'paid')
                           AND OLD.issued_at IS NOT NULL;
    new_counted boolean := TG_OP <> 'DELETE' AND NEW.status IN ('issued', 'paid')
                           AND NEW.issued_at IS NOT NULL;
    inv_id bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    shard int := mod(inv_id, 8);
BEGIN
    IF TG_OP = 'INSERT' AND NEW.amount_paid <> 0 THEN
        RAISE EXCEPTION 'a new invoice has been paid nothing yet (amount_paid %)', NEW.amount_paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
    END IF;
    IF NOT (old_counted OR new_counted)
       OR current_setting('hms.defer_summaries', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.status, NEW.total, NEW.tax, NEW.amount_paid, NEW.issued_at)
        IS NOT DISTINCT FROM (OLD.status, OLD.total, OLD.tax, OLD.amount_paid, OLD.issued_at) THEN
        RETURN NULL;
    END IF;
    IF old_counted AND new_counted
       AND billing_local_day(OLD.issued_at) = billing_local_day(NEW.issued_at) THEN
        PERFORM billing_revenue_add(billing_local_day(NEW.issued_at), shard, 0, 0,
            NEW.total - OLD.total, NEW.tax - OLD.tax, 0, 0, 0, 0, 0,
            (NEW.total - NEW.amount_paid) - (OLD.total - OLD.amount_paid), 0);
        RETURN NULL;
    END IF;
    SELECT * INTO k FROM billing_invoice_kinds(inv_id);
    IF old_counted THEN
        PERFORM billing_revenue_add(billing_local_day(OLD.issued_at), shard, -1, 0,
            -OLD.total, -OLD.tax, {", ".join(f"-k.{k}" for k in KINDS)},
            -(OLD.total - OLD.amount_paid), 0);
    END IF;
    IF new_counted THEN
        PERFORM billing_revenue_add(billing_local_day(NEW.issued_at), shard, 1, 0,
            NEW.total, NEW.tax, {", ".join(f"k.{k}" for k in KINDS)},
            NEW.total - NEW.amount_paid, 0);
    END IF;
    RETURN NULL;
END
$$;
"""

FIGURES = ("status", "total", "amount_paid", "issued_at", "created_at", "due_date")
_SUMS = "invoices = {t}.invoices + EXCLUDED.invoices, total = {t}.total + EXCLUDED.total, paid = {t}.paid + EXCLUDED.paid"
# Inserts and deletes per statement (a loader's thousands of rows at once); updates per row,
# and only when a figure moves (a payment is one row: no transition table to plan each time).
_TRANSITIONS = {
    "insert": ("STATEMENT", "REFERENCING NEW TABLE AS new_rows", [("r", "new_rows r", "1")]),
    "update": (
        "ROW",
        "",
        [("OLD", "", "-1"), ("NEW", "", "1")],
    ),
    "delete": ("STATEMENT", "REFERENCING OLD TABLE AS old_rows", [("r", "old_rows r", "-1")]),
}
_MOVED = ", ".join(f"{{r}}.{c}" for c in FIGURES)


def _statement_trigger(event: str) -> str:
    """The tally and the roll-up moved by one statement's (or row's) invoices: their deltas
    added up (an update that moves no figure adds nothing), then each row upserted in key
    order."""
    level, referencing, sources = _TRANSITIONS[event]
    rows = "\n            UNION ALL\n".join(
        f"""            SELECT billing_local_day(COALESCE({r}.issued_at, {r}.created_at)) AS day,
                   {r}.due_date AS due, billing_invoice_state({r}.status, {r}.amount_paid) AS state,
                   mod({r}.id, 8)::smallint AS shard, {sign} AS n, {sign} * {r}.total AS total,
                   {sign} * {r}.amount_paid AS paid
            {"FROM " + table if table else ""}"""
        for r, table, sign in sources
    )
    when = (
        f"WHEN (({_MOVED.format(r='OLD')}) IS DISTINCT FROM ({_MOVED.format(r='NEW')}))"
        if level == "ROW"
        else ""
    )
    return f"""
CREATE FUNCTION billing_tally_keep_{event}() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hms.defer_summaries', true) = 'on' THEN
        RETURN NULL;
    END IF;
    WITH d AS MATERIALIZED (
        SELECT x.day, x.due, x.state, x.shard, sum(x.n) AS n, sum(x.total) AS total,
               sum(x.paid) AS paid
        FROM (
{rows}
        ) x
        GROUP BY 1, 2, 3, 4
        HAVING (sum(x.n), sum(x.total), sum(x.paid)) <> (0, 0, 0)
    ), tally AS (
        INSERT INTO billing_invoice_tally AS t (day, due_date, state, shard, invoices, total,
                                                paid)
        SELECT d.day, d.due, d.state, d.shard, d.n, d.total, d.paid
        FROM d
        ORDER BY d.day, d.due, d.state, d.shard
        ON CONFLICT ON CONSTRAINT billing_invoice_tally_key DO UPDATE SET {_SUMS.format(t="t")}
    )
    INSERT INTO billing_invoice_rollup AS r (axis, level, start, state, shard, invoices, total,
                                             paid)
    SELECT g.axis, g.level, g.start, d.state, d.shard, sum(d.n), sum(d.total), sum(d.paid)
    FROM d CROSS JOIN LATERAL {_grains("d.day", "d.due", "d.state")}
    WHERE g.start IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    HAVING (sum(d.n), sum(d.total), sum(d.paid)) <> (0, 0, 0)
    ORDER BY 1, 2 DESC, 3, 4, 5
    ON CONFLICT ON CONSTRAINT billing_invoice_rollup_key DO UPDATE SET {_SUMS.format(t="r")};
    RETURN NULL;
END
$$;
CREATE TRIGGER billing_tally_keep_{event} AFTER {event.upper()} ON billing_invoice
    {referencing} FOR EACH {level} {when}
    EXECUTE FUNCTION billing_tally_keep_{event}();
"""


STATEMENT_TRIGGERS = ROW_TRIGGER + "".join(_statement_trigger(e) for e in _TRANSITIONS)


FORWARD = rf"""
LOCK TABLE billing_invoice IN SHARE ROW EXCLUSIVE MODE;

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

{STATEMENT_TRIGGERS}
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
CREATE FUNCTION billing_tally_rollup_rebuild() RETURNS void
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
    PERFORM billing_tally_rollup_rebuild();
END
$$;
"""

BACKFILL = "SELECT billing_tally_rollup_rebuild()"

DROP_COUNTS = "".join(
    f"DROP TRIGGER IF EXISTS billing_tally_keep_{e} ON billing_invoice;\n"
    f"DROP FUNCTION IF EXISTS billing_tally_keep_{e}();\n"
    for e in _TRANSITIONS
)

BACKWARD = f"""
DROP FUNCTION IF EXISTS billing_summaries_rebuild();
ALTER FUNCTION billing_summaries_rebuild_0012() RENAME TO billing_summaries_rebuild;
DROP FUNCTION IF EXISTS billing_tally_rollup_rebuild();
{DROP_COUNTS}
{_original("billing_invoice_summaries")}
{_original("billing_revenue_add")}
DROP TABLE IF EXISTS billing_invoice_rollup;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_invoice_list")]

    operations = [migrations.RunSQL([FORWARD, BACKFILL], [BACKWARD])]
