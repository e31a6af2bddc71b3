# The database itself keeps issued invoices as they were issued (DESIGN.md: "no path bills an
# item twice or changes an issued invoice"). The services never try; these triggers stop
# everything else: the admin, a shell, a raw UPDATE.
#
# * billing_invoice: once an invoice is no longer a draft, every column stays as issued except
#   the allowed moves: issued -> paid (only when payments cover the total), issued/paid -> void
#   (with a reason; only that move may write the void details and the VOID-stamped PDF).
#   Non-draft invoices are never deleted.
# * billing_invoiceline: lines of a non-draft invoice are never changed or deleted, except that
#   voiding deactivates them (is_active true -> false) so their items can be billed again; no
#   line is added to an invoice whose PDF has been stored.
# * billing_payment: a payment never takes an issued invoice past its total (the invoice row
#   is locked first, so two payments at once are checked one after the other), a void invoice
#   takes none, and payments are never changed or deleted.
#
# Errors carry SQLSTATE class 23 (so Django raises IntegrityError) and a constraint name.

FORWARD = r"""
CREATE FUNCTION billing_invoice_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    movable CONSTANT text[] := ARRAY[
        'status', 'updated_at', 'void_reason', 'voided_at', 'voided_by_id', 'void_pdf',
        'void_pdf_sha256'];
    paid numeric;
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
    IF OLD.status = 'issued' AND NEW.status = 'paid' THEN
        SELECT COALESCE(SUM(amount), 0) INTO paid FROM billing_payment WHERE invoice_id = OLD.id;
        IF paid < NEW.total THEN
            RAISE EXCEPTION 'invoice % is not paid in full (% of %)', OLD.number, paid, NEW.total
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_invoice_immutable';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status IN ('issued', 'paid') AND NEW.status = 'void' THEN
        IF btrim(NEW.void_reason) = '' THEN
            RAISE EXCEPTION 'invoice %: give a reason to void it', OLD.number
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
CREATE TRIGGER billing_invoice_immutable
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard();

CREATE FUNCTION billing_invoiceline_guard() RETURNS trigger
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

    -- Voiding frees the items: the only change a line of an issued invoice may take.
    IF TG_OP = 'UPDATE' AND inv.status = 'void' AND OLD.is_active AND NOT NEW.is_active
       AND (to_jsonb(NEW) - ARRAY['is_active', 'updated_at'])
           = (to_jsonb(OLD) - ARRAY['is_active', 'updated_at']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoice % is %: its lines cannot be changed', inv.number, inv.status
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'billing_invoiceline_frozen';
END
$$;
CREATE TRIGGER billing_invoiceline_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_guard();

CREATE FUNCTION billing_payment_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    inv billing_invoice%ROWTYPE;
    paid numeric;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'payments are never changed or deleted (%)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'billing_payment_within_balance';
    END IF;
    -- Lock the invoice: concurrent payments of one invoice are checked one after the other.
    SELECT * INTO inv FROM billing_invoice WHERE id = NEW.invoice_id FOR UPDATE;
    IF inv.status = 'void' THEN
        RAISE EXCEPTION 'invoice % is void: it takes no payment', inv.number
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'billing_payment_within_balance';
    END IF;
    -- Drafts are refused by payment_record; the check starts once there is a total to owe.
    IF inv.status <> 'draft' THEN
        SELECT COALESCE(SUM(amount), 0) INTO paid
            FROM billing_payment WHERE invoice_id = NEW.invoice_id;
        IF paid + NEW.amount > inv.total THEN
            RAISE EXCEPTION 'a payment of % is more than the balance % of invoice %',
                NEW.amount, inv.total - paid, inv.number
                USING ERRCODE = 'check_violation',
                      CONSTRAINT = 'billing_payment_within_balance';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_payment_within_balance
    BEFORE INSERT OR UPDATE OR DELETE ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_payment_within_balance ON billing_payment;
DROP FUNCTION IF EXISTS billing_payment_guard();
DROP TRIGGER IF EXISTS billing_invoiceline_frozen ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_guard();
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_guard();
"""

from django.db import migrations  # noqa: E402


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_lifecycle"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
