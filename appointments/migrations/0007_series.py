# Recurring series of appointments (RFC 5545 rules) and their exceptions (issue 18): the
# series, and on each occurrence (a real appointment) its series, number and original start.

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_doctor_lead_index"),
        ("doctors", "0004_time_off_at_most_a_year"),
        ("patients", "0006_name_start_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AppointmentSeries",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("rule", models.CharField(max_length=255)),
                ("first_start", models.DateTimeField()),
                ("length", models.DurationField()),
                ("reason", models.CharField(blank=True, max_length=255)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("doctor", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="appointment_series", to="doctors.doctor")),
                ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="appointment_series", to="patients.patient")),
            ],
            options={
                "verbose_name": "appointment series",
                "verbose_name_plural": "appointment series",
                "ordering": ["first_start", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="appointmentseries",
            constraint=models.CheckConstraint(condition=models.Q(("length__gt", datetime.timedelta(0))), name="appointments_appointmentseries_length_positive", violation_error_message="A series' appointments must last some time."),
        ),
        migrations.AddConstraint(
            model_name="appointmentseries",
            constraint=models.CheckConstraint(condition=models.Q(("rule", ""), _negated=True), name="appointments_appointmentseries_rule_given", violation_error_message="A series needs its repeat rule."),
        ),
        migrations.AddField(
            model_name="appointment",
            name="series",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="occurrences", to="appointments.appointmentseries"),
        ),
        migrations.AddField(
            model_name="appointment",
            name="series_index",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="appointment",
            name="series_start",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("series__isnull", True), ("series_index__isnull", True), ("series_start__isnull", True)), models.Q(("series__isnull", False), ("series_index__isnull", False), ("series_start__isnull", False)), _connector="OR"), name="appointments_appointment_series_fields_together", violation_error_message="An occurrence names its series, its number and its start."),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.UniqueConstraint(fields=("series", "series_index"), name="appointments_appointment_series_index_unique", violation_error_message="A series has one appointment per occurrence."),
        ),
    ]
