# The invoice list and the revenue report at a million patients (issue 14).
#
# * `billing_invoice.amount_paid`: the sum of the invoice's payments, kept by a trigger on
#   payment inserts (the payment guard has already locked the invoice row). The deferred
#   check `billing_money_balances` refuses, at commit, an invoice whose `amount_paid` is not
#   its payments' sum; an invoice is born with 0.00.
# * `billing_invoice_tally`: count, total and paid per local day (of the issue, or of the
#   creation for drafts), due date, state (draft, unpaid, partly_paid, paid, void, credited)
#   and shard: the invoice list's totals strip sums a few hundred rows, not every invoice.
# * `billing_revenue_day`: the revenue report's figures per local day and shard: invoices
#   issued that day and still issued or paid (invoiced, tax, active lines by kind, what is
#   still unpaid of them), and payments by the day received.
# * Both are kept by row triggers on billing_invoice, billing_invoiceline and billing_payment
#   in the writing transaction, as deltas (`ON CONFLICT DO UPDATE SET x = x + ...`), so they
#   stay exact under concurrency. The shard (id mod 8) spreads today's rows over 8, so two
#   clerks issuing or taking payment at the same moment rarely wait on the same row.
# * Local days are taken in the zone stored in `billing_summary_zone` (the hospital's
#   zone at migration time). The pages read the summaries only while that zone is
#   settings.TIME_ZONE; after a change of HMS_TIME_ZONE they compute directly until
#   `UPDATE billing_summary_zone SET name = '<zone>'; SELECT billing_summaries_rebuild();`.
# * Indexes on the list's order, COALESCE(issued_at, created_at) DESC, id DESC, alone and
#   after status and after patient: each filter of the list walks one index in page order
#   and stops after a page.

from decimal import Decimal

from django.conf import settings
from django.db import migrations, models

KINDS = ("medication", "surgery", "consultation", "minimum_charge", "other")
MONEY_COLUMNS = ("invoiced", "tax", *KINDS, "outstanding", "paid")


def _cols(template: str, sep: str = ", ") -> str:
    return sep.join(template.format(c=c) for c in MONEY_COLUMNS)


FORWARD = rf"""
LOCK TABLE billing_invoice, billing_invoiceline, billing_payment IN SHARE ROW EXCLUSIVE MODE;

-- The guard of issued invoices lets amount_paid move (only the payment trigger moves it; the
-- deferred check below refuses any other value). Patched in place, so the guard keeps
-- whatever else the migrations before this one made of it.
DO $guard$
DECLARE
    src text := pg_get_functiondef('billing_invoice_guard()'::regprocedure);
BEGIN
    IF position('''amount_paid''' IN src) = 0 THEN
        src := replace(src, '''status'', ''updated_at'',', '''status'', ''updated_at'', ''amount_paid'',');
        IF position('''amount_paid''' IN src) = 0 THEN
            RAISE EXCEPTION 'billing_invoice_guard: its list of movable columns was not found';
        END IF;
        EXECUTE src;
    END IF;
END
$guard$;

CREATE TABLE billing_summary_zone (
    id smallint PRIMARY KEY DEFAULT 1 CONSTRAINT billing_summary_zone_one_row CHECK (id = 1),
    name text NOT NULL
);

CREATE FUNCTION billing_local_day(at timestamptz) RETURNS date
    LANGUAGE sql STABLE AS $$
    SELECT (at AT TIME ZONE (SELECT z.name FROM billing_summary_zone z WHERE z.id = 1))::date
$$;

-- The list's states: an issued invoice is unpaid or partly paid.
CREATE FUNCTION billing_invoice_state(status text, amount_paid numeric) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN status <> 'issued' THEN status
                WHEN amount_paid > 0 THEN 'partly_paid' ELSE 'unpaid' END
$$;

CREATE TABLE billing_invoice_tally (
    day date NOT NULL,
    due_date date,
    state text NOT NULL,
    shard smallint NOT NULL,
    invoices bigint NOT NULL DEFAULT 0,
    total numeric(20, 2) NOT NULL DEFAULT 0,
    paid numeric(20, 2) NOT NULL DEFAULT 0,
    CONSTRAINT billing_invoice_tally_key UNIQUE NULLS NOT DISTINCT (day, due_date, state, shard)
);

CREATE TABLE billing_revenue_day (
    day date NOT NULL,
    shard smallint NOT NULL,
    invoices bigint NOT NULL DEFAULT 0,
    payments bigint NOT NULL DEFAULT 0,
    {_cols("{c} numeric(20, 2) NOT NULL DEFAULT 0")},
    CONSTRAINT billing_revenue_day_key PRIMARY KEY (day, shard)
);

CREATE FUNCTION billing_tally_add(
    p_day date, p_due date, p_state text, p_shard int, p_n int, p_total numeric, p_paid numeric
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO billing_invoice_tally AS t (day, due_date, state, shard, invoices, total, paid)
    VALUES (p_day, p_due, p_state, p_shard, p_n, p_total, p_paid)
    ON CONFLICT ON CONSTRAINT billing_invoice_tally_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, total = t.total + EXCLUDED.total,
            paid = t.paid + EXCLUDED.paid
$$;

CREATE FUNCTION billing_revenue_add(
    p_day date, p_shard int, p_invoices int, p_payments int,
    {_cols("p_{c} numeric")}
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO billing_revenue_day AS t (day, shard, invoices, payments, {_cols("{c}")})
    VALUES (p_day, p_shard, p_invoices, p_payments, {_cols("p_{c}")})
    ON CONFLICT ON CONSTRAINT billing_revenue_day_key DO UPDATE
        SET invoices = t.invoices + EXCLUDED.invoices, payments = t.payments + EXCLUDED.payments,
            {_cols("{c} = t.{c} + EXCLUDED.{c}")}
$$;

-- An invoice's active lines by kind.
CREATE FUNCTION billing_invoice_kinds(
    inv_id bigint, {", ".join(f"OUT {k} numeric" for k in KINDS)}
) LANGUAGE sql STABLE AS $$
    SELECT {", ".join(f"COALESCE(sum(l.amount) FILTER (WHERE l.kind = '{k}'), 0)" for k in KINDS)}
    FROM billing_invoiceline l WHERE l.invoice_id = inv_id AND l.is_active
$$;

-- Invoices: the tally always; the revenue while issued or paid, by the issue day (credited
-- and void invoices count nowhere, as the report has it).
CREATE FUNCTION billing_invoice_summaries() RETURNS trigger
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
    IF TG_OP = 'UPDATE' AND (NEW.status, NEW.total, NEW.tax, NEW.amount_paid, NEW.issued_at,
                             NEW.created_at, NEW.due_date)
        IS NOT DISTINCT FROM (OLD.status, OLD.total, OLD.tax, OLD.amount_paid, OLD.issued_at,
                              OLD.created_at, OLD.due_date) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM billing_tally_add(billing_local_day(COALESCE(OLD.issued_at, OLD.created_at)),
            OLD.due_date, billing_invoice_state(OLD.status, OLD.amount_paid), shard,
            -1, -OLD.total, -OLD.amount_paid);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM billing_tally_add(billing_local_day(COALESCE(NEW.issued_at, NEW.created_at)),
            NEW.due_date, billing_invoice_state(NEW.status, NEW.amount_paid), shard,
            1, NEW.total, NEW.amount_paid);
    END IF;
    IF old_counted AND new_counted
       AND billing_local_day(OLD.issued_at) = billing_local_day(NEW.issued_at) THEN
        -- A payment (or a paid status): the lines are the same.
        PERFORM billing_revenue_add(billing_local_day(NEW.issued_at), shard, 0, 0,
            NEW.total - OLD.total, NEW.tax - OLD.tax, 0, 0, 0, 0, 0,
            (NEW.total - NEW.amount_paid) - (OLD.total - OLD.amount_paid), 0);
        RETURN NULL;
    END IF;
    IF old_counted OR new_counted THEN
        SELECT * INTO k FROM billing_invoice_kinds(inv_id);
    END IF;
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

-- Lines: an active line of an issued or paid invoice counts by its kind. The invoice row is
-- share-locked, so its status cannot change under the line (issuing adds the lines it sees).
CREATE FUNCTION billing_line_revenue(inv_id bigint, kind text, amount numeric) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    inv record;
BEGIN
    SELECT i.id, i.status, i.issued_at INTO inv FROM billing_invoice i WHERE i.id = inv_id
        FOR SHARE;
    IF FOUND AND inv.status IN ('issued', 'paid') AND inv.issued_at IS NOT NULL THEN
        PERFORM billing_revenue_add(billing_local_day(inv.issued_at), mod(inv.id, 8)::int,
            0, 0, 0, 0,
            {", ".join(f"CASE WHEN kind = '{k}' THEN amount ELSE 0 END" for k in KINDS)},
            0, 0);
    END IF;
END
$$;

CREATE FUNCTION billing_invoiceline_summaries() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.invoice_id, NEW.kind, NEW.amount, NEW.is_active)
        IS NOT DISTINCT FROM (OLD.invoice_id, OLD.kind, OLD.amount, OLD.is_active) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.is_active THEN
        PERFORM billing_line_revenue(OLD.invoice_id, OLD.kind, -OLD.amount);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.is_active THEN
        PERFORM billing_line_revenue(NEW.invoice_id, NEW.kind, NEW.amount);
    END IF;
    RETURN NULL;
END
$$;

-- Payments (never changed or deleted): the invoice's amount paid, and the day's money in.
CREATE FUNCTION billing_payment_summaries() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing_invoice SET amount_paid = amount_paid + NEW.amount WHERE id = NEW.invoice_id;
    PERFORM billing_revenue_add(billing_local_day(NEW.received_at), mod(NEW.invoice_id, 8)::int,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, NEW.amount);
    RETURN NULL;
END
$$;

-- Every figure again from the rows (the migration's backfill; after a change of zone).
CREATE FUNCTION billing_summaries_rebuild() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE billing_invoice, billing_invoiceline, billing_payment IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM billing_invoice_tally;
    DELETE FROM billing_revenue_day;
    INSERT INTO billing_invoice_tally (day, due_date, state, shard, invoices, total, paid)
    SELECT billing_local_day(COALESCE(i.issued_at, i.created_at)), i.due_date,
           billing_invoice_state(i.status, i.amount_paid), mod(i.id, 8), count(*),
           sum(i.total), sum(i.amount_paid)
    FROM billing_invoice i
    GROUP BY 1, 2, 3, 4;
    INSERT INTO billing_revenue_day (day, shard, invoices, payments, {_cols("{c}")})
    SELECT x.day, x.shard, sum(x.invoices), sum(x.payments), {_cols("sum(x.{c})")}
    FROM (
        SELECT billing_local_day(i.issued_at) AS day, mod(i.id, 8) AS shard, 1 AS invoices,
               0 AS payments, i.total AS invoiced, i.tax,
               {", ".join(f"k.{k}" for k in KINDS)},
               i.total - i.amount_paid AS outstanding, 0 AS paid
        FROM billing_invoice i CROSS JOIN LATERAL billing_invoice_kinds(i.id) k
        WHERE i.status IN ('issued', 'paid') AND i.issued_at IS NOT NULL
        UNION ALL
        SELECT billing_local_day(p.received_at), mod(p.invoice_id, 8), 0, 1,
               0, 0, 0, 0, 0, 0, 0, 0, p.amount
        FROM billing_payment p
    ) x
    GROUP BY x.day, x.shard;
END
$$;

-- A TRUNCATE (the owner's flush, a restore) leaves the figures of the rows that remain.
CREATE FUNCTION billing_summaries_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM billing_summaries_rebuild();
    RETURN NULL;
END
$$;
CREATE TRIGGER billing_summaries_truncated AFTER TRUNCATE ON billing_invoice
    FOR EACH STATEMENT EXECUTE FUNCTION billing_summaries_truncated();
CREATE TRIGGER billing_summaries_truncated AFTER TRUNCATE ON billing_invoiceline
    FOR EACH STATEMENT EXECUTE FUNCTION billing_summaries_truncated();
CREATE TRIGGER billing_summaries_truncated AFTER TRUNCATE ON billing_payment
    FOR EACH STATEMENT EXECUTE FUNCTION billing_summaries_truncated();

UPDATE billing_invoice i SET amount_paid = p.paid
FROM (SELECT invoice_id, sum(amount) AS paid FROM billing_payment GROUP BY invoice_id) p
WHERE p.invoice_id = i.id AND i.amount_paid <> p.paid;

CREATE TRIGGER billing_invoice_summaries AFTER INSERT OR UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_summaries();
CREATE TRIGGER billing_invoiceline_summaries
    AFTER INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_summaries();
-- Named to fire before any other AFTER INSERT trigger of payments that reads amount_paid.
CREATE TRIGGER billing_amount_paid AFTER INSERT ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_summaries();

-- The deferred money check of an invoice also holds its amount paid to its payments.
CREATE FUNCTION billing_invoice_money_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
    paid numeric;
BEGIN
    SELECT * INTO inv FROM billing_invoice WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(sum(amount), 0) INTO paid FROM billing_payment WHERE invoice_id = inv.id;
    IF inv.amount_paid <> paid THEN
        RAISE EXCEPTION 'invoice %: it says % paid, its payments come to %',
            COALESCE(inv.number, 'draft #' || inv.id), inv.amount_paid, paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
    END IF;
    PERFORM billing_check_invoice_money(inv.id);
    RETURN NULL;
END
$$;
DROP TRIGGER billing_money_balances ON billing_invoice;
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER UPDATE OF status, amount_paid
    ON billing_invoice DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_money_check();

-- The invoice list: its order, and the same after each filter's equality.
CREATE INDEX billing_invoice_dated_idx
    ON billing_invoice ((COALESCE(issued_at, created_at)) DESC, id DESC);
CREATE INDEX billing_invoice_status_dated_idx
    ON billing_invoice (status, (COALESCE(issued_at, created_at)) DESC, id DESC);
CREATE INDEX billing_invoice_patient_dated_idx
    ON billing_invoice (patient_id, (COALESCE(issued_at, created_at)) DESC, id DESC);
"""

ZONE = "INSERT INTO billing_summary_zone (id, name) VALUES (1, %s)"
REBUILD = "SELECT billing_summaries_rebuild()"

BACKWARD = r"""
DROP INDEX IF EXISTS billing_invoice_dated_idx;
DROP INDEX IF EXISTS billing_invoice_status_dated_idx;
DROP INDEX IF EXISTS billing_invoice_patient_dated_idx;
DROP TRIGGER IF EXISTS billing_money_balances ON billing_invoice;
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER UPDATE OF status ON billing_invoice
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();
DROP FUNCTION IF EXISTS billing_invoice_money_check();
DROP TRIGGER IF EXISTS billing_amount_paid ON billing_payment;
DROP TRIGGER IF EXISTS billing_invoiceline_summaries ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_invoice_summaries ON billing_invoice;
DROP TRIGGER IF EXISTS billing_summaries_truncated ON billing_invoice;
DROP TRIGGER IF EXISTS billing_summaries_truncated ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_summaries_truncated ON billing_payment;
DROP FUNCTION IF EXISTS billing_summaries_truncated();
DROP FUNCTION IF EXISTS billing_summaries_rebuild();
DROP FUNCTION IF EXISTS billing_payment_summaries();
DROP FUNCTION IF EXISTS billing_invoiceline_summaries();
DROP FUNCTION IF EXISTS billing_line_revenue(bigint, text, numeric);
DROP FUNCTION IF EXISTS billing_invoice_summaries();
DROP FUNCTION IF EXISTS billing_invoice_kinds(bigint);
DROP FUNCTION IF EXISTS billing_revenue_add;
DROP FUNCTION IF EXISTS billing_tally_add;
DROP TABLE IF EXISTS billing_revenue_day;
DROP TABLE IF EXISTS billing_invoice_tally;
DROP FUNCTION IF EXISTS billing_invoice_state(text, numeric);
DROP FUNCTION IF EXISTS billing_local_day(timestamptz);
DROP TABLE IF EXISTS billing_summary_zone;
DO $guard$
DECLARE
    src text := pg_get_functiondef('billing_invoice_guard()'::regprocedure);
BEGIN
    EXECUTE replace(src, '''amount_paid'', ', '');
END
$guard$;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0011_bill_rule")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="amount_paid",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=12,
                default=Decimal("0.00"),
                db_default=Decimal("0.00"),
                editable=False,
                help_text="The sum of its payments, kept by the database as each is recorded.",
            ),
        ),
        migrations.RunSQL(
            [FORWARD, (ZONE, [settings.TIME_ZONE]), REBUILD],
            [BACKWARD],
        ),
    ]
