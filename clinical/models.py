from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStampedModel
from patients.models import HistoryKind


class VisitItem(TimeStampedModel):
    """A medication given, a surgery/procedure performed or a condition found during a visit
    still in progress.

    A draft: completing the visit turns each item into a `patients.MedicalHistory` entry linked
    to the attendance (medications and surgeries billable, conditions not) and deletes the
    item, so nothing is billed or added to the history before the doctor has closed the visit.
    """

    class Kind(models.TextChoices):
        MEDICATION = HistoryKind.MEDICATION.value, "Medication given"
        SURGERY = HistoryKind.SURGERY.value, "Surgery or procedure performed"
        CONDITION = HistoryKind.CONDITION.value, "Condition found"

    attendance = models.ForeignKey(
        "appointments.Attendance", on_delete=models.CASCADE, related_name="visit_items"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    medication = models.ForeignKey(
        "billing.MedicationCost", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "billing.ProcedureFee", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1)
    # A condition found may be coded (ICD-10-CM); it keeps its code when it is recorded.
    icd10 = models.ForeignKey(
        "patients.Icd10Code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ICD-10-CM code",
    )
    # A medication given that matched an allergy: the allergies as shown to the doctor, and
    # the reason typed to give it (both also in the audit log), as on a prescription line.
    allergy_alert = models.TextField(blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["attendance", "kind", "created_at", "id"]
        verbose_name = "visit item"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["medication", "surgery", "condition"]),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message="A visit item is a medication, a surgery or a condition.",
            ),
            models.CheckConstraint(
                # Medications given are picked from the price list, so they can be billed; a
                # condition is described (and may be coded), never a price-list entry. One
                # constraint for the three kinds: full_clean checks each in a query of its own.
                condition=Q(
                    kind="medication",
                    medication__isnull=False,
                    procedure__isnull=True,
                    icd10__isnull=True,
                )
                | Q(kind="surgery", medication__isnull=True, icd10__isnull=True)
                | Q(kind="condition", medication__isnull=True, procedure__isnull=True),
                name="%(app_label)s_%(class)s_medication_from_price_list",
                violation_error_message="Pick the medication from the price list; a condition "
                "is described, not picked from a list; only a condition has an ICD-10-CM code.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & (Q(quantity=1) | Q(kind="medication")),
                name="%(app_label)s_%(class)s_quantity_valid",
                violation_error_message="A quantity is at least 1, and only medications have one.",
            ),
            models.CheckConstraint(
                condition=~Q(description=""),
                name="%(app_label)s_%(class)s_description_not_blank",
                violation_error_message="Name the surgery, procedure or condition.",
            ),
            models.CheckConstraint(
                condition=Q(allergy_alert="") | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message="A drug that matches an allergy needs a reason to go on.",
            ),
        ]
        # The visit page lists its items: the attendance foreign key's index serves it.

    def __str__(self) -> str:
        if self.kind == self.Kind.MEDICATION:
            return f"{self.description} × {self.quantity}"
        return self.description

    def get_absolute_url(self) -> str:
        return reverse("clinical:visit_record", args=[self.attendance_id])


from clinical.note_templates import NoteTemplate  # noqa: E402
from clinical.prescriptions import Prescription, PrescriptionLine  # noqa: E402

# Vital signs live in a module of their own (clinical/vitals_models.py).
from clinical.vitals_models import VitalObservation, VitalsReading  # noqa: E402

__all__ = [
    "NoteTemplate",
    "Prescription",
    "PrescriptionLine",
    "VisitItem",
    "VitalObservation",
    "VitalsReading",
]
