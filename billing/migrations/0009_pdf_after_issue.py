# Issuing no longer renders the PDF while the year's number counter is locked: the number is
# taken and committed, and a job renders and stores the PDF a moment later. So the stored PDF
# of an issued invoice may be written once, from nothing, and only with its own SHA-256;
# afterwards it never changes (as before).

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    movable CONSTANT text[] := ARRAY[
        'status', 'updated_at', 'void_reason', 'voided_at', 'voided_by_id', 'void_pdf',
        'void_pdf_sha256', 'pdf', 'pdf_sha256'];
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

    -- The PDF as issued: written once, after the issue, with its own SHA-256; then never.
    IF NEW.pdf IS DISTINCT FROM OLD.pdf OR NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256 THEN
        IF OLD.pdf IS NOT NULL OR OLD.pdf_sha256 <> '' OR NEW.pdf IS NULL
           OR NEW.pdf_sha256 <> encode(sha256(NEW.pdf), 'hex') THEN
            RAISE EXCEPTION 'invoice %: its stored PDF is written once, with its SHA-256, and '
                'never changed', OLD.number
                USING ERRCODE = 'integrity_constraint_violation',
                      CONSTRAINT = 'billing_invoice_immutable';
        END IF;
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

"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_price_bounds")]

    # Backwards: 0007's function stays (it refuses the late write, nothing else differs).
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
