"""Vital signs for the FHIR Observation tests: readings of one patient over two visits, and one
of another patient; and the world of tests/fhir/test_metadata.py."""

from __future__ import annotations

import datetime

from django.utils import timezone

from appointments.models import Attendance
from clinical.vitals_models import VitalObservation, VitalsReading
from tests.factories import AttendanceFactory


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def visit_on(patient, doctor, day: datetime.date, hour: int = 9) -> Attendance:
    return AttendanceFactory(
        appointment__patient=patient,
        appointment__doctor=doctor,
        appointment__start=at(day, hour),
        checked_in_at=at(day, hour),
    )


def reading(visit: Attendance, taken_at: datetime.datetime, **values) -> VitalsReading:
    return VitalsReading.objects.create(attendance=visit, taken_at=taken_at, **values)


def observation(reading_: VitalsReading, kind: str) -> VitalObservation:
    return VitalObservation.objects.get(reading=reading_, kind=kind)


def observation_world(world: dict) -> dict:
    """One reading at the `wanted` patient's visit of clinical_world: its pulse is the world's
    only Observation (every Observation served is a vital sign, so `category` cannot tell two
    apart; tests/fhir/test_observation.py tells the others apart)."""
    wanted = reading(world["Encounter"]["wanted"], at(datetime.date(2024, 3, 5), 11), pulse=72)
    return {"Observation": {"wanted": observation(wanted, "pulse")}}


OBSERVATION_EXAMPLES = {
    ("Observation", "patient"): lambda w: f"Patient/{w['Patient']['wanted'].pk}",
    ("Observation", "code"): lambda w: "http://loinc.org|8867-4",
    ("Observation", "category"): lambda w: "vital-signs",
    ("Observation", "date"): lambda w: "le2024-03-05",
}
