"""Prescription lines for the FHIR MedicationRequest tests, and tests/fhir/test_metadata.py's
`wanted` and `other` MedicationRequest, told apart by every search parameter."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from appointments.models import AppointmentStatus
from clinical.models import Prescription, PrescriptionLine
from tests.factories import AttendanceFactory, DoctorFactory, PatientFactory


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def prescribed(attendance, drug: str, *, on: datetime.date | None = None, **fields):
    """A line of the visit's prescription (made as the service would leave it), written on
    `on` (today by default)."""
    prescription, _ = Prescription.objects.get_or_create(attendance=attendance)
    values = {
        "drug_name": drug,
        "dose": Decimal("500"),
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "tid",
        "duration_days": 7,
        "quantity": 21,
    }
    line = PrescriptionLine.objects.create(prescription=prescription, **{**values, **fields})
    if on is not None:
        PrescriptionLine.objects.filter(pk=line.pk).update(created_at=_at(on))
        line.refresh_from_db()
    return line


def medication_request_world(world: dict) -> dict:
    """Visits of patients and doctors of its own: the shared ones' visits are the Encounter
    examples', which one more visit would break."""
    patients = {"wanted": PatientFactory(), "other": PatientFactory()}
    doctors = {"wanted": DoctorFactory(), "other": DoctorFactory()}

    def visit(patient, doctor, day):
        return AttendanceFactory(  # a visit under way: no Encounter example's status
            appointment__patient=patient,
            appointment__doctor=doctor,
            appointment__start=_at(day),
            appointment__status=AppointmentStatus.CHECKED_IN,
            checked_in_at=_at(day),
            started_at=_at(day),
        )

    wanted_visit = visit(patients["wanted"], doctors["wanted"], datetime.date(2024, 3, 6))
    other_visit = visit(patients["other"], doctors["other"], datetime.date(2020, 1, 11))
    return {
        "MedicationRequest": {
            "wanted": prescribed(wanted_visit, "Amoxicillin", on=datetime.date(2024, 3, 6)),
            "other": prescribed(other_visit, "Ibuprofen", on=datetime.date(2020, 1, 11)),
        },
        "MedicationRequestVisit": {"wanted": wanted_visit, "other": other_visit},
    }


def _patient(world: dict) -> str:
    return f"Patient/{world['MedicationRequest']['wanted'].prescription.attendance.patient_id}"


MEDICATION_REQUEST_EXAMPLES = {
    ("MedicationRequest", "patient"): _patient,
    ("MedicationRequest", "encounter"): lambda w: (
        f"Encounter/{w['MedicationRequestVisit']['wanted'].pk}"
    ),
    ("MedicationRequest", "authoredon"): lambda w: "ge2024-03",
}
