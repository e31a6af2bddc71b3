# A series booked to replace another from a date on (the desk changed that one's repeat rule)
# names it: AppointmentSeries.continues. Before, the link lived only in the new series' audit
# row (changes["continues_series"]) and its history notes; the series already changed so get
# it from their audit row.

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = r"""
UPDATE appointments_appointmentseries s
SET continues_id = old.id
FROM core_auditevent e
JOIN appointments_appointmentseries old
  ON old.id::text = e.changes -> 'continues_series' ->> 'after'
WHERE e.object_type = 'appointments.appointmentseries' AND e.action = 'create'
  AND e.object_id = s.id::text AND s.continues_id IS NULL AND old.id <> s.id
"""


def backfill(apps, schema_editor):
    # No dependency on core's migrations (as patients 0004): a database without the audit log
    # yet is a new one, with nothing to backfill.
    if "core_auditevent" in schema_editor.connection.introspection.table_names():
        schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0012_offer_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointmentseries",
            name="continues",
            field=models.ForeignKey(
                blank=True,
                help_text="The series whose repeat rule changed: this one replaces it from its "
                "start.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="continued_by",
                to="appointments.appointmentseries",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
