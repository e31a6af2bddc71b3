# Prescriptions of a visit, and the allergy check's overrides.
# The numbers come from a sequence (unique by the column's UNIQUE constraint; a rolled-back
# prescription leaves a gap). A line's history entry is one to one: it bills once.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import clinical.prescriptions

_UNITS = [
    ("mg", "mg"),
    ("g", "g"),
    ("mcg", "microgram"),
    ("mL", "mL"),
    ("tablet", "tablet(s)"),
    ("capsule", "capsule(s)"),
    ("drop", "drop(s)"),
    ("puff", "puff(s)"),
    ("unit", "unit(s)"),
    ("application", "application(s)"),
]
_ROUTES = [
    ("oral", "By mouth"),
    ("sublingual", "Under the tongue"),
    ("inhaled", "Inhaled"),
    ("topical", "On the skin"),
    ("eye", "Into the eye"),
    ("ear", "Into the ear"),
    ("nasal", "Into the nose"),
    ("rectal", "Rectal"),
    ("subcutaneous", "Subcutaneous injection"),
    ("intramuscular", "Intramuscular injection"),
    ("intravenous", "Intravenous"),
]
_FREQUENCIES = [
    ("once", "Once"),
    ("daily", "Once a day"),
    ("bid", "Twice a day"),
    ("tid", "Three times a day"),
    ("qid", "Four times a day"),
    ("q4h", "Every 4 hours"),
    ("q6h", "Every 6 hours"),
    ("q8h", "Every 8 hours"),
    ("q12h", "Every 12 hours"),
    ("night", "At night"),
    ("prn", "When needed"),
]
_TIMES = [
    (
        "id",
        models.BigAutoField(
            auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
        ),
    ),
    ("created_at", models.DateTimeField(auto_now_add=True)),
    ("updated_at", models.DateTimeField(auto_now=True)),
]
_USER = dict(
    blank=True,
    null=True,
    on_delete=django.db.models.deletion.PROTECT,
    related_name="+",
    to=settings.AUTH_USER_MODEL,
)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_doctor_lead_index"),
        ("billing", "0014_billed_visit_kept"),
        ("clinical", "0004_vitals"),
        ("patients", "0008_structured_allergies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE clinical_prescription_number_seq",
            "DROP SEQUENCE clinical_prescription_number_seq",
        ),
        migrations.CreateModel(
            name="Prescription",
            fields=[
                *_TIMES,
                (
                    "number",
                    models.BigIntegerField(
                        db_default=clinical.prescriptions.NextNumber(), editable=False, unique=True
                    ),
                ),
                (
                    "attendance",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="prescription",
                        to="appointments.attendance",
                    ),
                ),
                ("prescribed_by", models.ForeignKey(**_USER)),
            ],
            options={"verbose_name": "prescription", "ordering": ["-number"]},
        ),
        migrations.CreateModel(
            name="PrescriptionLine",
            fields=[
                *_TIMES,
                ("drug_name", models.CharField(max_length=255, verbose_name="drug")),
                ("dose", models.DecimalField(decimal_places=3, max_digits=10)),
                ("dose_unit", models.CharField(choices=_UNITS, max_length=12)),
                ("route", models.CharField(choices=_ROUTES, max_length=16)),
                ("frequency", models.CharField(choices=_FREQUENCIES, max_length=8)),
                ("duration_days", models.PositiveSmallIntegerField(verbose_name="duration (days)")),
                (
                    "quantity",
                    models.PositiveIntegerField(help_text="Units to dispense (and bill)."),
                ),
                ("instructions", models.TextField(blank=True)),
                ("allergy_alert", models.TextField(blank=True)),
                ("override_reason", models.CharField(blank=True, max_length=500)),
                (
                    "history_entry",
                    models.OneToOneField(
                        blank=True,
                        help_text="The medication entry the visit's completion wrote for this line.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="prescription_line",
                        to="patients.medicalhistory",
                    ),
                ),
                (
                    "medication",
                    models.ForeignKey(
                        blank=True,
                        help_text="The price-list medication; empty for a drug named in free "
                        "text (unpriced).",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="billing.medicationcost",
                    ),
                ),
                ("prescribed_by", models.ForeignKey(**_USER)),
                (
                    "prescription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="clinical.prescription",
                    ),
                ),
            ],
            options={
                "verbose_name": "prescription line",
                "ordering": ["prescription", "created_at", "id"],
                "indexes": [
                    models.Index(fields=["prescription", "created_at"], name="clinical_rx_line_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("dose__gt", 0)),
                        name="clinical_prescriptionline_dose_positive",
                        violation_error_message="A dose is more than 0.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("duration_days__gte", 1), ("quantity__gte", 1)),
                        name="clinical_prescriptionline_duration_quantity_positive",
                        violation_error_message="A duration and a quantity are at least 1.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("drug_name", ""), _negated=True),
                        name="clinical_prescriptionline_drug_named",
                        violation_error_message="Name the drug.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("allergy_alert", ""),
                            models.Q(("override_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="clinical_prescriptionline_override_has_reason",
                        violation_error_message="A drug that matches an allergy needs a reason "
                        "to go on.",
                    ),
                ],
            },
        ),
    ]
