# The workbook's PatientID of an imported patient, so that the import never takes a patient
# registered in the system for the workbook's person of the same ID (issue 12).
#
# Existing patients: the system gives only `P` + 7 digits MRNs, so another MRN was imported;
# a `P` + 7 digits one was imported too when imported appointments or history point at the
# patient and no one registered them in the system (no creation row in the audit log).

from django.db import migrations, models

BACKFILL = r"""
UPDATE patients_patient p SET legacy_id = p.mrn
WHERE p.mrn !~ '^P[0-9]{7}$'
   OR (
        (EXISTS (SELECT 1 FROM appointments_appointment a
                 WHERE a.patient_id = p.id AND a.legacy_id IS NOT NULL)
         OR EXISTS (SELECT 1 FROM patients_medicalhistory h
                    WHERE h.patient_id = p.id AND h.legacy_id <> ''))
        AND NOT EXISTS (SELECT 1 FROM core_auditevent e
                        WHERE e.object_type = 'patients.patient' AND e.action = 'create'
                          AND e.object_id = p.id::text)
   )
"""


def backfill(apps, schema_editor):
    # No dependency on core's migrations (a test migrates the audit log back and forth): a
    # database without the audit log yet is a new one, with nothing to backfill.
    if "core_auditevent" in schema_editor.connection.introspection.table_names():
        schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_patient_email_international"),
        ("appointments", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="legacy_id",
            field=models.CharField(
                blank=True, max_length=20, null=True, verbose_name="imported as PatientID"
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                fields=("legacy_id",),
                name="patients_patient_legacy_id_unique",
                violation_error_message="Another patient was imported with this PatientID.",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
