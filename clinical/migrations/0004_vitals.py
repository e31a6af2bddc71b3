# Vital signs of a visit: readings (several per visit, each with the time it was taken), their
# plausible ranges as CHECK constraints, BMI as a generated column, and a view with one row per
# vital sign of a reading (the chart's trends and FHIR Observation read it).

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Round

# Each reading unfolded into a row per vital sign measured: id = reading id × 10 + number.
VIEW = """
CREATE VIEW clinical_vitalobservation AS
SELECT r.id * 10 + k.number AS id, r.id AS reading_id, k.number, k.kind,
       a.patient_id, r.attendance_id, r.taken_at, k.value, k.value2, r.created_at, r.updated_at
  FROM clinical_vitalsreading r
  JOIN appointments_attendance a ON a.id = r.attendance_id
 CROSS JOIN LATERAL (VALUES
       (1, 'blood_pressure', r.systolic::numeric, r.diastolic::numeric),
       (2, 'pulse', r.pulse::numeric, NULL::numeric),
       (3, 'temperature', r.temperature, NULL),
       (4, 'respiratory_rate', r.respiratory_rate::numeric, NULL),
       (5, 'spo2', r.spo2::numeric, NULL),
       (6, 'weight', r.weight, NULL),
       (7, 'height', r.height, NULL),
       (8, 'bmi', r.bmi, NULL)
   ) AS k(number, kind, value, value2)
 WHERE k.value IS NOT NULL
"""


KINDS = [
    ("blood_pressure", "Blood pressure"),
    ("pulse", "Pulse"),
    ("temperature", "Temperature"),
    ("respiratory_rate", "Respiratory rate"),
    ("spo2", "SpO₂"),
    ("weight", "Weight"),
    ("height", "Height"),
    ("bmi", "BMI"),
]


def _range(field, low, high, label, unit):
    return models.CheckConstraint(
        condition=models.Q((f"{field}__isnull", True))
        | models.Q((f"{field}__gte", low), (f"{field}__lte", high)),
        name=f"clinical_vitalsreading_{field}_plausible",
        violation_error_message=f"{label} is not plausible: enter between {low} and {high} {unit}.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0003_visit_conditions"),
        ("patients", "0006_name_start_indexes"),
        ("appointments", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VitalsReading",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("taken_at", models.DateTimeField()),
                (
                    "systolic",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="systolic (mmHg)"
                    ),
                ),
                (
                    "diastolic",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="diastolic (mmHg)"
                    ),
                ),
                (
                    "pulse",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="pulse (/min)"
                    ),
                ),
                (
                    "temperature",
                    models.DecimalField(
                        blank=True,
                        decimal_places=1,
                        max_digits=4,
                        null=True,
                        verbose_name="temperature (°C)",
                    ),
                ),
                (
                    "respiratory_rate",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="respiratory rate (/min)"
                    ),
                ),
                (
                    "spo2",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="SpO₂ (%)"
                    ),
                ),
                (
                    "weight",
                    models.DecimalField(
                        blank=True,
                        decimal_places=1,
                        max_digits=5,
                        null=True,
                        verbose_name="weight (kg)",
                    ),
                ),
                (
                    "height",
                    models.DecimalField(
                        blank=True,
                        decimal_places=1,
                        max_digits=4,
                        null=True,
                        verbose_name="height (cm)",
                    ),
                ),
                (
                    "bmi",
                    models.GeneratedField(
                        db_persist=True,
                        expression=Round(
                            models.F("weight") / (models.F("height") * models.F("height") / 10000),
                            1,
                        ),
                        output_field=models.DecimalField(decimal_places=1, max_digits=6),
                        verbose_name="BMI (kg/m²)",
                    ),
                ),
                (
                    "attendance",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vitals_readings",
                        to="appointments.attendance",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "vital signs reading",
                "ordering": ["attendance", "taken_at", "id"],
                "constraints": [
                    _range("systolic", 50, 300, "Systolic pressure", "mmHg"),
                    _range("diastolic", 20, 200, "Diastolic pressure", "mmHg"),
                    _range("pulse", 20, 250, "Pulse", "/min"),
                    _range("temperature", Decimal("25"), Decimal("45"), "Temperature", "°C"),
                    _range("respiratory_rate", 4, 80, "Respiratory rate", "/min"),
                    _range("spo2", 50, 100, "SpO₂", "%"),
                    _range("weight", Decimal("0.3"), Decimal("500"), "Weight", "kg"),
                    _range("height", Decimal("20"), Decimal("260"), "Height", "cm"),
                    models.CheckConstraint(
                        condition=models.Q(("diastolic__isnull", True), ("systolic__isnull", True))
                        | models.Q(("diastolic__isnull", False), ("systolic__isnull", False)),
                        name="clinical_vitalsreading_blood_pressure_pair",
                        violation_error_message="Enter both blood pressures, systolic and diastolic, or neither.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("systolic__isnull", True))
                        | models.Q(("diastolic__lt", models.F("systolic"))),
                        name="clinical_vitalsreading_diastolic_below_systolic",
                        violation_error_message="The diastolic pressure must be lower than the systolic: check they are not swapped.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("systolic__isnull", False),
                            ("diastolic__isnull", False),
                            ("pulse__isnull", False),
                            ("temperature__isnull", False),
                            ("respiratory_rate__isnull", False),
                            ("spo2__isnull", False),
                            ("weight__isnull", False),
                            ("height__isnull", False),
                            _connector="OR",
                        ),
                        name="clinical_vitalsreading_something_measured",
                        violation_error_message="Enter at least one vital sign.",
                    ),
                ],
            },
            bases=(models.Model,),
        ),
        migrations.CreateModel(
            name="VitalObservation",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("number", models.PositiveSmallIntegerField()),
                ("kind", models.CharField(choices=KINDS, max_length=20)),
                ("taken_at", models.DateTimeField()),
                ("value", models.DecimalField(decimal_places=1, max_digits=6)),
                ("value2", models.DecimalField(decimal_places=1, max_digits=6, null=True)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                (
                    "attendance",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="appointments.attendance",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="patients.patient",
                    ),
                ),
                (
                    "reading",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinical.vitalsreading",
                    ),
                ),
            ],
            options={
                "verbose_name": "vital sign observation",
                "db_table": "clinical_vitalobservation",
                "ordering": ["reading", "number"],
                "managed": False,
            },
        ),
        migrations.RunSQL(VIEW, "DROP VIEW clinical_vitalobservation"),
    ]
