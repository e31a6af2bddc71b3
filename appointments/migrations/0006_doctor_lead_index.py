"""Appointment-patterns' page of doctors reads each doctor's roll-up rows: an index on
(doctor, whole_month, day) in place of the one on the doctor alone (issue 14)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0005_patterns_rollups"),
        ("doctors", "0004_time_off_at_most_a_year"),
    ]

    operations = [
        migrations.AlterField(
            model_name="doctorleadcount",
            name="doctor",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="doctors.doctor",
            ),
        ),
        migrations.AddIndex(
            model_name="doctorleadcount",
            index=models.Index(
                fields=["doctor", "whole_month", "day"], name="appt_rollup_doctorlead_doc_idx"
            ),
        ),
    ]
