"""Factories for the clinical tests, on top of tests/factories.py."""

import datetime

import factory
from django.utils import timezone

from appointments.models import AppointmentStatus
from clinical.models import VisitItem
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    MedicationCostFactory,
    ProcedureFeeFactory,
)


def today_at(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    """An aware time today (plus `days`) in the hospital's zone."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def checked_in_visit(*, doctor, patient=None, start=None, started=False, **kwargs):
    """An appointment checked in at the desk: status checked_in and an Attendance with
    checked_in_at (and started_at when `started`). Returns the attendance."""
    start = start or today_at(9)
    appointment_kwargs = {"doctor": doctor, "start": start, "status": AppointmentStatus.CHECKED_IN}
    if patient is not None:
        appointment_kwargs["patient"] = patient
    appointment = AppointmentFactory(**appointment_kwargs)
    return AttendanceFactory(
        appointment=appointment,
        checked_in_at=start - datetime.timedelta(minutes=10),
        started_at=timezone.now() if started else None,
        **kwargs,
    )


class MedicationGivenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitItem

    kind = VisitItem.Kind.MEDICATION
    medication = factory.SubFactory(MedicationCostFactory)
    description = factory.SelfAttribute("medication.name")
    quantity = 2


class ProcedurePerformedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitItem

    kind = VisitItem.Kind.SURGERY
    procedure = factory.SubFactory(ProcedureFeeFactory)
    description = factory.SelfAttribute("procedure.name")
