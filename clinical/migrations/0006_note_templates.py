# Visit note templates per specialty (SOAP), and the ICD-10-CM code of a condition found at a
# visit (patients 0007 made the code set).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0005_prescriptions"),
        ("doctors", "0004_time_off_at_most_a_year"),
        ("patients", "0007_condition_codes"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoteTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("name", models.CharField(max_length=100)),
                (
                    "subjective",
                    models.TextField(
                        blank=True,
                        help_text="Fills the visit's concerns (the patient's words).",
                        verbose_name="Subjective",
                    ),
                ),
                (
                    "objective",
                    models.TextField(
                        blank=True,
                        help_text="Fills the visit's symptoms and findings.",
                        verbose_name="Objective",
                    ),
                ),
                (
                    "assessment",
                    models.TextField(
                        blank=True,
                        help_text="Fills the visit's notes, under “Assessment”.",
                        verbose_name="Assessment",
                    ),
                ),
                (
                    "plan",
                    models.TextField(
                        blank=True,
                        help_text="Fills the visit's notes, under “Plan”.",
                        verbose_name="Plan",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(default=True, help_text="Offered on the visit page."),
                ),
                (
                    "specialty",
                    models.ForeignKey(
                        blank=True,
                        help_text=(
                            "Offered to the doctors of this specialty; empty: offered to every "
                            "doctor."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="note_templates",
                        to="doctors.specialty",
                    ),
                ),
            ],
            options={
                "verbose_name": "visit note template",
                "ordering": ["specialty__name", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("specialty", "name"),
                        name="clinical_notetemplate_name_unique",
                        nulls_distinct=False,
                        violation_error_message=(
                            "This specialty already has a template of this name."
                        ),
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="clinical_notetemplate_name_not_blank",
                        violation_error_message="Name the template.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("assessment", ""),
                            ("objective", ""),
                            ("plan", ""),
                            ("subjective", ""),
                            _negated=True,
                        ),
                        name="clinical_notetemplate_not_empty",
                        violation_error_message="Write at least one section of the template.",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="visititem",
            name="icd10",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patients.icd10code",
                verbose_name="ICD-10-CM code",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="visititem",
            name="clinical_visititem_medication_from_price_list",
        ),
        migrations.AddConstraint(
            model_name="visititem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("icd10__isnull", True),
                        ("kind", "medication"),
                        ("medication__isnull", False),
                        ("procedure__isnull", True),
                    ),
                    models.Q(
                        ("icd10__isnull", True), ("kind", "surgery"), ("medication__isnull", True)
                    ),
                    models.Q(
                        ("kind", "condition"),
                        ("medication__isnull", True),
                        ("procedure__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="clinical_visititem_medication_from_price_list",
                violation_error_message=(
                    "Pick the medication from the price list; a condition is described, not "
                    "picked from a list; only a condition has an ICD-10-CM code."
                ),
            ),
        ),
    ]
