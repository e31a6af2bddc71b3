"""A patient's clinical record for the FHIR clinical tests: one visit, and one history entry
of each kind and state, told apart by their words; another patient with entries of their own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from appointments.models import AppointmentStatus, Attendance
from patients.models import HistoryKind, MedicalHistory, Patient
from tests.factories import (
    AttendanceFactory,
    DoctorFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
)


@dataclass
class Record:
    patient: Patient
    other: Patient
    visit: Attendance
    other_visit: Attendance
    condition: MedicalHistory  # active, found at the visit
    resolved: MedicalHistory  # resolved, on the problem list
    surgery: MedicalHistory  # billable, from the procedure list, at the visit
    surgery_waived: MedicalHistory  # not billable
    medication: MedicalHistory  # billable, from the price list, quantity 3, at the visit
    medication_stopped: MedicalHistory  # stopped, billable
    medication_waived: MedicalHistory  # not billable
    allergy: MedicalHistory
    other_condition: MedicalHistory
    other_medication: MedicalHistory


def entry(patient: Patient, kind: str, description: str, day: datetime.date, **kwargs):
    return MedicalHistoryFactory(
        patient=patient, kind=kind, description=description, recorded_on=day, **kwargs
    )


def make_record() -> Record:
    patient = PatientFactory(first_name="Amara", last_name="Osei")
    other = PatientFactory(first_name="Bruno", last_name="Keller")
    doctor = DoctorFactory(first_name="Hana", last_name="Sato")
    visit = AttendanceFactory(
        appointment__patient=patient,
        appointment__doctor=doctor,
        concerns="Chest pain on stairs",
        symptoms="Short of breath",
        diagnosis="Stable angina",
        notes="Refer to cardiology",
    )
    visit.started_at = visit.checked_in_at + datetime.timedelta(minutes=5)
    visit.completed_at = visit.checked_in_at + datetime.timedelta(minutes=25)
    visit.save()
    other_visit = AttendanceFactory(appointment__patient=other, appointment__doctor=doctor)
    day = datetime.date(2024, 3, 5)
    earlier = datetime.date(2020, 1, 10)
    aspirin = MedicationCostFactory(name="Aspirin 75 mg")
    stent = ProcedureFeeFactory(name="Coronary stent")
    return Record(
        patient=patient,
        other=other,
        visit=visit,
        other_visit=other_visit,
        condition=entry(patient, HistoryKind.CONDITION, "Angina", day, attendance=visit),
        resolved=entry(
            patient,
            HistoryKind.CONDITION,
            "Pneumonia",
            earlier,
            ended_on=datetime.date(2020, 2, 1),
            is_billable=False,
        ),
        surgery=entry(
            patient, HistoryKind.SURGERY, "Stent placed", day, procedure=stent, attendance=visit
        ),
        surgery_waived=entry(
            patient, HistoryKind.SURGERY, "Appendectomy", earlier, is_billable=False
        ),
        medication=entry(
            patient,
            HistoryKind.MEDICATION,
            "Aspirin",
            day,
            medication=aspirin,
            quantity=3,
            attendance=visit,
        ),
        medication_stopped=entry(
            patient,
            HistoryKind.MEDICATION,
            "Amoxicillin",
            earlier,
            ended_on=datetime.date(2020, 1, 20),
        ),
        medication_waived=entry(
            patient, HistoryKind.MEDICATION, "Free sample", earlier, is_billable=False
        ),
        allergy=entry(patient, HistoryKind.ALLERGY, "Penicillin", earlier, is_billable=False),
        other_condition=entry(other, HistoryKind.CONDITION, "Asthma", day),
        other_medication=entry(other, HistoryKind.MEDICATION, "Salbutamol", day),
    )


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def clinical_world(patients: dict, doctors: dict) -> dict:
    """For tests/fhir/test_metadata.py: a `wanted` and an `other` of each clinical type, the
    wanted ones of the `wanted` patient and doctor, told apart by every parameter
    (CLINICAL_EXAMPLES)."""
    wanted, other = patients["wanted"], patients["other"]
    first, later = datetime.date(2024, 3, 5), datetime.date(2020, 1, 10)

    def visit(patient, doctor, day, status):
        return AttendanceFactory(
            appointment__patient=patient,
            appointment__doctor=doctor,
            appointment__start=_at(day),
            appointment__status=status,
            checked_in_at=_at(day),
        )

    def pair(kind: str, wanted_has: dict | None = None, **ended) -> dict:
        return {
            "wanted": entry(wanted, kind, f"Wanted {kind}", first, **(wanted_has or {})),
            "other": entry(other, kind, f"Other {kind}", later, **ended),
        }

    return {
        "Encounter": {
            "wanted": visit(wanted, doctors["wanted"], first, AppointmentStatus.COMPLETED),
            "other": visit(other, doctors["other"], later, AppointmentStatus.CHECKED_IN),
        },
        "Condition": pair(
            HistoryKind.CONDITION,
            wanted_has={"icd10_id": "I20.9"},  # coded; the other kept in words
            ended_on=datetime.date(2021, 1, 1),
        ),
        "Procedure": pair(HistoryKind.SURGERY),
        "MedicationStatement": pair(HistoryKind.MEDICATION, ended_on=datetime.date(2021, 1, 1)),
        "AllergyIntolerance": pair(HistoryKind.ALLERGY),
    }


def _patient(world: dict) -> str:
    return f"Patient/{world['Patient']['wanted'].pk}"


CLINICAL_EXAMPLES = {
    ("Encounter", "patient"): _patient,
    ("Encounter", "date"): lambda w: "2024-03-05",
    ("Encounter", "practitioner"): lambda w: f"Practitioner/{w['Practitioner']['wanted'].pk}",
    ("Encounter", "status"): lambda w: "finished",
    ("Condition", "patient"): _patient,
    ("Condition", "clinical-status"): lambda w: "active",
    ("Condition", "recorded-date"): lambda w: "ge2024",
    ("Condition", "code"): lambda w: "http://hl7.org/fhir/sid/icd-10-cm|I20.9",
    ("Procedure", "patient"): _patient,
    ("Procedure", "date"): lambda w: "2024-03",
    ("MedicationStatement", "patient"): _patient,
    ("MedicationStatement", "status"): lambda w: "active",
    ("AllergyIntolerance", "patient"): _patient,
}
