# A visit whose consultation is on an active invoice line is never deleted: not by undoing
# its check-in (appointments.status_moves.appointment_undo_check_in, which turns the refusal
# into its sentence), not by the admin, a shell or the application's own database login.
# Invoice lines name their visit by the typed key attendance_id (0011), not a foreign key, so
# the guard is a trigger; its error carries SQLSTATE 23503 (Django's IntegrityError) and the
# name billing_billed_visit_kept.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION billing_billed_visit_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM billing_invoiceline WHERE attendance_id = OLD.id AND is_active
    ) THEN
        RAISE EXCEPTION 'visit %: its consultation is on an invoice', OLD.id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'billing_billed_visit_kept';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER billing_billed_visit_kept
    BEFORE DELETE ON appointments_attendance
    FOR EACH ROW EXECUTE FUNCTION billing_billed_visit_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS billing_billed_visit_kept ON appointments_attendance;
DROP FUNCTION IF EXISTS billing_billed_visit_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0013_invoice_rollup"),
        ("appointments", "0006_doctor_lead_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
