"""Prescriptions: one per visit, numbered, with a line per drug.

A line names a drug from the price list (billing.MedicationCost, priced) or in free text
(unpriced). Completing the visit makes each line the visit's medication history entry through
the one history service; `history_entry` links the two, one to one, so a line bills once
whoever completes or saves the visit again (the database's unique index holds it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Func, Q
from django.urls import reverse

from core.models import TimeStampedModel

# The numbers' sequence (migration clinical 0005): unique, not gap-free: a prescription
# rolled back leaves its number unused, and the UNIQUE constraint is the guarantee.
NUMBER_SEQUENCE = "clinical_prescription_number_seq"


class NextNumber(Func):
    template = f"nextval('{NUMBER_SEQUENCE}')"
    output_field = models.BigIntegerField()


class Route(models.TextChoices):
    ORAL = "oral", "By mouth"
    SUBLINGUAL = "sublingual", "Under the tongue"
    INHALED = "inhaled", "Inhaled"
    TOPICAL = "topical", "On the skin"
    EYE = "eye", "Into the eye"
    EAR = "ear", "Into the ear"
    NASAL = "nasal", "Into the nose"
    RECTAL = "rectal", "Rectal"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous injection"
    INTRAMUSCULAR = "intramuscular", "Intramuscular injection"
    INTRAVENOUS = "intravenous", "Intravenous"


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    G = "g", "g"
    MCG = "mcg", "microgram"
    ML = "mL", "mL"
    TABLET = "tablet", "tablet(s)"
    CAPSULE = "capsule", "capsule(s)"
    DROP = "drop", "drop(s)"
    PUFF = "puff", "puff(s)"
    UNIT = "unit", "unit(s)"
    APPLICATION = "application", "application(s)"


class Frequency(models.TextChoices):
    ONCE = "once", "Once"
    DAILY = "daily", "Once a day"
    BID = "bid", "Twice a day"
    TID = "tid", "Three times a day"
    QID = "qid", "Four times a day"
    Q4H = "q4h", "Every 4 hours"
    Q6H = "q6h", "Every 6 hours"
    Q8H = "q8h", "Every 8 hours"
    Q12H = "q12h", "Every 12 hours"
    NIGHT = "night", "At night"
    PRN = "prn", "When needed"


class Prescription(TimeStampedModel):
    attendance = models.OneToOneField(
        "appointments.Attendance", on_delete=models.PROTECT, related_name="prescription"
    )
    number = models.BigIntegerField(unique=True, editable=False, db_default=NextNumber())
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = "prescription"
        # Printing looks a prescription up by its visit: the one-to-one's unique index.

    def __str__(self) -> str:
        return f"Prescription {self.label}"

    @property
    def label(self) -> str:
        return f"RX-{self.number:06d}"

    def get_absolute_url(self) -> str:
        return reverse("clinical:prescription_pdf", args=[self.attendance_id])


class PrescriptionLine(TimeStampedModel):
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="lines")
    drug_name = models.CharField("drug", max_length=255)
    medication = models.ForeignKey(
        "billing.MedicationCost",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The price-list medication; empty for a drug named in free text (unpriced).",
    )
    dose = models.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = models.CharField(max_length=12, choices=DoseUnit.choices)
    route = models.CharField(max_length=16, choices=Route.choices)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    duration_days = models.PositiveSmallIntegerField("duration (days)")
    quantity = models.PositiveIntegerField(help_text="Units to dispense (and bill).")
    instructions = models.TextField(blank=True)
    # The allergy check: the allergies the drug matched, as shown to the doctor, and the
    # reason typed to go on (both also in the audit log).
    allergy_alert = models.TextField(blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    history_entry = models.OneToOneField(
        "patients.MedicalHistory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prescription_line",
        help_text="The medication entry the visit's completion wrote for this line.",
    )
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["prescription", "created_at", "id"]
        verbose_name = "prescription line"
        constraints = [
            models.CheckConstraint(
                condition=Q(dose__gt=0),
                name="%(app_label)s_%(class)s_dose_positive",
                violation_error_message="A dose is more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(duration_days__gte=1) & Q(quantity__gte=1),
                name="%(app_label)s_%(class)s_duration_quantity_positive",
                violation_error_message="A duration and a quantity are at least 1.",
            ),
            models.CheckConstraint(
                condition=~Q(drug_name=""),
                name="%(app_label)s_%(class)s_drug_named",
                violation_error_message="Name the drug.",
            ),
            models.CheckConstraint(
                condition=Q(allergy_alert="") | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message="A drug that matches an allergy needs a reason to go on.",
            ),
        ]
        indexes = [
            # A visit's lines in order (the visit page, the PDF).
            models.Index(fields=["prescription", "created_at"], name="clinical_rx_line_idx"),
        ]

    def __str__(self) -> str:
        return self.drug_name

    def get_absolute_url(self) -> str:
        return reverse("clinical:visit_record", args=[self.prescription.attendance_id])

    @property
    def is_priced(self) -> bool:
        return self.medication_id is not None

    @property
    def dose_text(self) -> str:
        """ "500 mg", "1.5 tablet(s)": the dose without trailing zeros."""
        return f"{format(self.dose.normalize(), 'f')} {self.get_dose_unit_display()}"
