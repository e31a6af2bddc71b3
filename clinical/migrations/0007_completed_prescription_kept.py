# A prescription is fixed once its visit is completed: it has been printed, numbered and
# billed. The services refuse changes after completion (clinical.history._require_open); this
# trigger holds it for every login, the application's own included: a line of a completed
# visit cannot be deleted or changed, except for the one link completion itself writes (its
# medication entry, set once from nothing) and the row's timestamps.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION clinical_prescriptionline_fixed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM clinical_prescription p
          JOIN appointments_attendance a ON a.id = p.attendance_id
         WHERE p.id = OLD.prescription_id AND a.completed_at IS NOT NULL
    ) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'history_entry_id' - 'created_at' - 'updated_at')
         = (to_jsonb(OLD) - 'history_entry_id' - 'created_at' - 'updated_at')
       AND (NEW.history_entry_id IS NOT DISTINCT FROM OLD.history_entry_id
            OR OLD.history_entry_id IS NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'prescription line %: its visit is completed, the prescription is fixed',
        OLD.id
        USING ERRCODE = 'check_violation',
              CONSTRAINT = 'clinical_prescriptionline_fixed';
END
$$;
CREATE TRIGGER clinical_prescriptionline_fixed
    BEFORE UPDATE OR DELETE ON clinical_prescriptionline
    FOR EACH ROW EXECUTE FUNCTION clinical_prescriptionline_fixed();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS clinical_prescriptionline_fixed ON clinical_prescriptionline;
DROP FUNCTION IF EXISTS clinical_prescriptionline_fixed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0006_note_templates"),
        ("appointments", "0009_queue"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
