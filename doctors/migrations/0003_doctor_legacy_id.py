# The workbook's DoctorID of an imported doctor, so that the import never renames a doctor
# created in the system after the workbook's doctor of the same ID (issue 12).
#
# Existing doctors: one whose code is not the system's `D` + digits was imported; a `D` one was
# imported too when imported appointments point at the doctor and no one created them in the
# system (no creation row in the audit log).

from django.db import migrations, models

BACKFILL = r"""
UPDATE doctors_doctor d SET legacy_id = d.code
WHERE d.code !~ '^D[0-9]{1,12}$'
   OR (
        EXISTS (SELECT 1 FROM appointments_appointment a
                WHERE a.doctor_id = d.id AND a.legacy_id IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM core_auditevent e
                        WHERE e.object_type = 'doctors.doctor' AND e.action = 'create'
                          AND e.object_id = d.id::text)
   )
"""


def backfill(apps, schema_editor):
    # No dependency on core's migrations (a test migrates the audit log back and forth): a
    # database without the audit log yet is a new one, with nothing to backfill.
    if "core_auditevent" in schema_editor.connection.introspection.table_names():
        schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("doctors", "0002_doctor_email_international"),
        ("appointments", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="doctor",
            name="legacy_id",
            field=models.CharField(
                blank=True, max_length=20, null=True, verbose_name="imported as DoctorID"
            ),
        ),
        migrations.AddConstraint(
            model_name="doctor",
            constraint=models.UniqueConstraint(
                fields=("legacy_id",),
                name="doctors_doctor_legacy_id_unique",
                violation_error_message="Another doctor was imported with this DoctorID.",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
