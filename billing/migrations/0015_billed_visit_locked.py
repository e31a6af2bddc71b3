# The other half of billing_billed_visit_kept (0014): a line billing a visit locks that visit
# (FOR KEY SHARE, until its transaction ends) and refuses a visit that is gone. Without it, a
# clerk drafting while the desk undoes the check-in could both commit: the delete's guard does
# not see a line not yet committed, and the line names its visit by a typed key, not a foreign
# key. Now the undo waits for the draft and is refused, or the draft waits for the undo and is
# refused (SQLSTATE 23503, constraint billing_invoiceline_visit_exists), whoever asks.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION billing_invoiceline_visit_lock() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    visit bigint;
BEGIN
    -- The stored generated attendance_id is computed after BEFORE triggers: read the key.
    IF NEW.is_active AND NEW.source_key LIKE 'attendance:%' THEN
        visit := substr(NEW.source_key, 12)::bigint;
        PERFORM 1 FROM appointments_attendance WHERE id = visit FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'visit % does not exist: its consultation cannot be billed', visit
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = 'billing_invoiceline_visit_exists';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER billing_invoiceline_visit_exists
    BEFORE INSERT OR UPDATE OF is_active, source_key ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_visit_lock();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS billing_invoiceline_visit_exists ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_visit_lock();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0014_billed_visit_kept")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
