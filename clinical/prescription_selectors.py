"""Reads of prescriptions: a visit's prescription and its lines, and the price list's names
the drug field suggests."""

from __future__ import annotations

from django.db.models import QuerySet

from appointments.models import Attendance
from billing.models import MedicationCost
from clinical.prescriptions import Prescription, PrescriptionLine


def visit_prescription(*, attendance: Attendance) -> Prescription | None:
    """The visit's prescription with its lines (and their price-list medications), or None.
    Two queries."""
    prescription = (
        Prescription.objects.filter(attendance=attendance)
        .select_related(
            "attendance__appointment__doctor__specialty", "attendance__patient", "prescribed_by"
        )
        .first()
    )
    if prescription is not None:
        prescription.line_list = list(prescription.lines.select_related("medication"))
    return prescription


def drug_suggestions() -> list[str]:
    """The active price list's medication names, for the drug field's suggestions. One query."""
    return list(
        MedicationCost.objects.filter(is_active=True)
        .order_by("name")
        .values_list("name", flat=True)
    )


def prescription_lines() -> QuerySet[PrescriptionLine]:
    """Every prescription line, with its prescription, visit and price-list medication joined
    (what the FHIR MedicationRequest shows)."""
    return PrescriptionLine.objects.select_related(
        "prescription__attendance__appointment", "medication"
    )
