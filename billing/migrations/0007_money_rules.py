# The money rules after issue, held by the database (billing/ledger.py explains the model):
#
# * billing_invoice_balance(id): total - credited - paid + refunded + moved to the account.
# * At every commit (deferred constraint triggers), each invoice a movement touched has
#   0 <= balance <= total - credited, and a status that says the same: issued (owes), paid
#   (owes nothing), credited (a credit note for its total), void (no payment, no credit);
#   its payments from the account are matched by the account's entries; and each patient
#   account touched is not below zero.
# * Invoices: a paid or part-paid invoice is never voided (it is credited); a credited one
#   never moves again; crediting frees its lines as voiding does.
# * Payments: not on a credited invoice; not dated before the day the invoice was issued nor
#   in the future; never more than the balance.
# * Credit notes, refunds, account entries and day closes are never changed or deleted, and
#   no payment, refund or deposit is dated into a cashier's closed day.
#
# Errors carry SQLSTATE class 23 (so Django raises IntegrityError) and a constraint name.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION billing_invoice_balance(inv_id bigint) RETURNS numeric
    LANGUAGE sql STABLE AS $$
    SELECT i.total
        - COALESCE((SELECT SUM(c.total) FROM billing_creditnote c WHERE c.invoice_id = i.id), 0)
        - COALESCE((SELECT SUM(p.amount) FROM billing_payment p WHERE p.invoice_id = i.id), 0)
        + COALESCE((SELECT SUM(r.amount) FROM billing_refund r WHERE r.invoice_id = i.id), 0)
        + COALESCE((SELECT SUM(a.amount) FROM billing_accountentry a
                    WHERE a.invoice_id = i.id AND a.kind = 'from_invoice'), 0)
    FROM billing_invoice i WHERE i.id = inv_id
$$;

CREATE FUNCTION billing_check_invoice_money(inv_id bigint) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
    credited numeric;
    paid numeric;
    balance numeric;
    fits boolean;
BEGIN
    SELECT * INTO inv FROM billing_invoice WHERE id = inv_id;
    IF NOT FOUND OR inv.status = 'draft' THEN
        RETURN;
    END IF;
    SELECT COALESCE(SUM(total), 0) INTO credited FROM billing_creditnote WHERE invoice_id = inv_id;
    SELECT COALESCE(SUM(amount), 0) INTO paid FROM billing_payment WHERE invoice_id = inv_id;
    balance := billing_invoice_balance(inv_id);
    IF balance < 0 OR balance > inv.total - credited THEN
        RAISE EXCEPTION 'invoice %: the money does not balance (balance % of %; credited %, paid %): '
            'overpaid money must be refunded or moved to the account, and no more than was paid',
            inv.number, balance, inv.total, credited, paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
    END IF;
    IF (SELECT COALESCE(SUM(p.amount), 0) FROM billing_payment p
        WHERE p.invoice_id = inv_id AND p.method = 'account')
       <> (SELECT COALESCE(-SUM(a.amount), 0) FROM billing_accountentry a
           JOIN billing_payment p ON p.id = a.payment_id
           WHERE p.invoice_id = inv_id AND a.kind = 'applied') THEN
        RAISE EXCEPTION 'invoice %: a payment from the account must be taken from the account',
            inv.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
    END IF;
    fits := CASE inv.status
        WHEN 'issued' THEN credited = 0 AND (balance > 0 OR inv.total = 0)
        WHEN 'paid' THEN credited = 0 AND balance = 0
        WHEN 'credited' THEN credited = inv.total AND balance = 0
        WHEN 'void' THEN credited = 0 AND paid = 0
        ELSE false
    END;
    IF NOT fits THEN
        RAISE EXCEPTION 'invoice % is % but its money says otherwise (credited %, paid %, balance %)',
            inv.number, inv.status, credited, paid, balance
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
    END IF;
END
$$;

CREATE FUNCTION billing_money_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv_id bigint;
    held numeric;
BEGIN
    IF TG_TABLE_NAME = 'billing_invoice' THEN
        inv_id := NEW.id;
    ELSIF TG_TABLE_NAME = 'billing_accountentry' THEN
        SELECT COALESCE(SUM(amount), 0) INTO held
            FROM billing_accountentry WHERE patient_id = NEW.patient_id;
        IF held < 0 THEN
            RAISE EXCEPTION 'the account of patient % would go below zero (%)', NEW.patient_id, held
                USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_money_balances';
        END IF;
        inv_id := NEW.invoice_id;
        IF NEW.payment_id IS NOT NULL THEN
            SELECT invoice_id INTO inv_id FROM billing_payment WHERE id = NEW.payment_id;
        END IF;
    ELSE
        inv_id := NEW.invoice_id;
    END IF;
    IF inv_id IS NOT NULL THEN
        PERFORM billing_check_invoice_money(inv_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER billing_money_balances AFTER INSERT ON billing_payment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER INSERT ON billing_refund
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER INSERT ON billing_creditnote
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER INSERT ON billing_accountentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();
CREATE CONSTRAINT TRIGGER billing_money_balances AFTER UPDATE OF status ON billing_invoice
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_money_check();

-- Movements lock what they change, so that the checks above see one at a time: the invoice
-- row, the patient's account, the cashier's day. And none is dated into a closed day.
CREATE FUNCTION billing_movement_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
    inv_id bigint;
    at timestamptz;
    cashier bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION '% rows are never changed or deleted (%)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_money_kept';
    END IF;
    IF TG_TABLE_NAME = 'billing_refund' THEN
        inv_id := NEW.invoice_id; at := NEW.refunded_at; cashier := NEW.refunded_by_id;
    ELSIF TG_TABLE_NAME = 'billing_accountentry' THEN
        inv_id := NEW.invoice_id; at := NEW.received_at; cashier := NEW.received_by_id;
        PERFORM pg_advisory_xact_lock(hashtext('billing_account'), NEW.patient_id::int);
        IF NEW.kind <> 'deposit' THEN
            cashier := NULL;  -- only deposits are money over the counter
        END IF;
    ELSIF TG_TABLE_NAME = 'billing_creditnote' THEN
        inv_id := NEW.invoice_id; at := NULL; cashier := NULL;
    END IF;
    IF inv_id IS NOT NULL THEN
        SELECT * INTO inv FROM billing_invoice WHERE id = inv_id FOR UPDATE;
    END IF;
    IF cashier IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('billing_cashier_day'), cashier::int);
        IF EXISTS (SELECT 1 FROM billing_cashierdayclose c WHERE c.cashier_id = cashier
                   AND at >= c.starts_at AND at < c.ends_at) THEN
            RAISE EXCEPTION 'the cashier''s day of % is closed: nothing more is dated in it', at
                USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_day_closed';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_movement_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_refund
    FOR EACH ROW EXECUTE FUNCTION billing_movement_guard();
CREATE TRIGGER billing_movement_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_accountentry
    FOR EACH ROW EXECUTE FUNCTION billing_movement_guard();
CREATE TRIGGER billing_movement_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_creditnote
    FOR EACH ROW EXECUTE FUNCTION billing_movement_guard();

CREATE FUNCTION billing_dayclose_kept() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a closed day is never changed or deleted (%)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_money_kept';
END
$$;
CREATE TRIGGER billing_dayclose_kept BEFORE UPDATE OR DELETE ON billing_cashierdayclose
    FOR EACH ROW EXECUTE FUNCTION billing_dayclose_kept();

-- Payments: as before (insert only, never past the balance, none on a void invoice), and now
-- none on a credited invoice, none dated before the invoice's issue day or in the future,
-- none into a closed day.
CREATE OR REPLACE FUNCTION billing_payment_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'payments are never changed or deleted (%)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'billing_payment_within_balance';
    END IF;
    -- Lock the invoice: concurrent payments of one invoice are checked one after the other.
    SELECT * INTO inv FROM billing_invoice WHERE id = NEW.invoice_id FOR UPDATE;
    IF inv.status IN ('void', 'credited') THEN
        RAISE EXCEPTION 'invoice % is %: it takes no payment', inv.number, inv.status
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'billing_payment_within_balance';
    END IF;
    IF inv.status <> 'draft' THEN
        IF NEW.amount > billing_invoice_balance(inv.id) THEN
            RAISE EXCEPTION 'a payment of % is more than the balance % of invoice %',
                NEW.amount, billing_invoice_balance(inv.id), inv.number
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_payment_within_balance';
        END IF;
        -- A day's slack either side: the hospital's day is not the server's.
        IF NEW.received_at < inv.issued_at - interval '1 day'
           OR NEW.received_at > now() + interval '1 day' THEN
            RAISE EXCEPTION 'a payment of invoice % cannot be dated %', inv.number, NEW.received_at
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_payment_within_balance';
        END IF;
    END IF;
    IF NEW.received_by_id IS NOT NULL AND NEW.method <> 'account' THEN
        PERFORM pg_advisory_xact_lock(hashtext('billing_cashier_day'), NEW.received_by_id::int);
        IF EXISTS (SELECT 1 FROM billing_cashierdayclose c WHERE c.cashier_id = NEW.received_by_id
                   AND NEW.received_at >= c.starts_at AND NEW.received_at < c.ends_at) THEN
            RAISE EXCEPTION 'the cashier''s day of % is closed: nothing more is dated in it',
                NEW.received_at
                USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_day_closed';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- Invoices: the moves an issued invoice may make. Paid or part-paid ones are credited, never
-- voided; a credited one is final.
CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    movable CONSTANT text[] := ARRAY[
        'status', 'updated_at', 'void_reason', 'voided_at', 'voided_by_id', 'void_pdf',
        'void_pdf_sha256'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is %: an issued invoice cannot be deleted',
                OLD.number, OLD.status
                USING ERRCODE = 'integrity_constraint_violation',
                      CONSTRAINT = 'billing_invoice_immutable';
        END IF;
        RETURN OLD;
    END IF;

    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;

    IF (to_jsonb(NEW) - movable) IS DISTINCT FROM (to_jsonb(OLD) - movable) THEN
        RAISE EXCEPTION 'invoice % is %: an issued invoice cannot be changed',
            OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'billing_invoice_immutable';
    END IF;

    IF NOT (NEW.status = 'void' AND OLD.status <> 'void') AND (
        (NEW.void_reason, NEW.voided_at, NEW.voided_by_id, NEW.void_pdf_sha256)
            IS DISTINCT FROM (OLD.void_reason, OLD.voided_at, OLD.voided_by_id, OLD.void_pdf_sha256)
        OR NEW.void_pdf IS DISTINCT FROM OLD.void_pdf
    ) THEN
        RAISE EXCEPTION 'invoice %: void details are written only when it is voided', OLD.number
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'billing_invoice_immutable';
    END IF;

    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF (OLD.status = 'issued' AND NEW.status IN ('paid', 'credited'))
       OR (OLD.status = 'paid' AND NEW.status = 'credited') THEN
        RETURN NEW;  -- the money behind the move is checked at commit
    END IF;
    IF OLD.status = 'issued' AND NEW.status = 'void' THEN
        IF btrim(NEW.void_reason) = '' THEN
            RAISE EXCEPTION 'invoice %: give a reason to void it', OLD.number
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_invoice_immutable';
        END IF;
        IF EXISTS (SELECT 1 FROM billing_payment WHERE invoice_id = OLD.id) THEN
            RAISE EXCEPTION 'invoice % has payments: credit it instead of voiding it', OLD.number
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_invoice_immutable';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoice % cannot move from % to %', OLD.number, OLD.status, NEW.status
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'billing_invoice_immutable';
END
$$;

-- Lines: crediting frees them, as voiding does.
CREATE OR REPLACE FUNCTION billing_invoiceline_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT * INTO inv FROM billing_invoice WHERE id = NEW.invoice_id;
        IF inv.status <> 'draft' AND inv.pdf_sha256 <> '' THEN
            RAISE EXCEPTION 'invoice % is %: no line can be added', inv.number, inv.status
                USING ERRCODE = 'integrity_constraint_violation',
                      CONSTRAINT = 'billing_invoiceline_frozen';
        END IF;
        RETURN NEW;
    END IF;

    SELECT * INTO inv FROM billing_invoice WHERE id = OLD.invoice_id;
    IF inv.status = 'draft' THEN
        IF TG_OP = 'UPDATE' AND NEW.invoice_id <> OLD.invoice_id THEN
            SELECT * INTO inv FROM billing_invoice WHERE id = NEW.invoice_id;
            IF inv.status <> 'draft' THEN
                RAISE EXCEPTION 'invoice % is %: no line can be moved to it',
                    inv.number, inv.status
                    USING ERRCODE = 'integrity_constraint_violation',
                          CONSTRAINT = 'billing_invoiceline_frozen';
            END IF;
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;

    IF TG_OP = 'UPDATE' AND inv.status IN ('void', 'credited') AND OLD.is_active
       AND NOT NEW.is_active
       AND (to_jsonb(NEW) - ARRAY['is_active', 'updated_at'])
           = (to_jsonb(OLD) - ARRAY['is_active', 'updated_at']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoice % is %: its lines cannot be changed', inv.number, inv.status
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'billing_invoiceline_frozen';
END
$$;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS billing_dayclose_kept ON billing_cashierdayclose;
DROP FUNCTION IF EXISTS billing_dayclose_kept();
DROP TRIGGER IF EXISTS billing_movement_guard ON billing_refund;
DROP TRIGGER IF EXISTS billing_movement_guard ON billing_accountentry;
DROP TRIGGER IF EXISTS billing_movement_guard ON billing_creditnote;
DROP FUNCTION IF EXISTS billing_movement_guard();
DROP TRIGGER IF EXISTS billing_money_balances ON billing_payment;
DROP TRIGGER IF EXISTS billing_money_balances ON billing_refund;
DROP TRIGGER IF EXISTS billing_money_balances ON billing_creditnote;
DROP TRIGGER IF EXISTS billing_money_balances ON billing_accountentry;
DROP TRIGGER IF EXISTS billing_money_balances ON billing_invoice;
DROP FUNCTION IF EXISTS billing_money_check();
DROP FUNCTION IF EXISTS billing_check_invoice_money(bigint);
DROP FUNCTION IF EXISTS billing_invoice_balance(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_money_after_issue")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
