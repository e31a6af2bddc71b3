"""A recurring series in the demo hospital (issue 18): one patient's course of visits every
weekday, booked through `series_book` as the desk does, so the occurrence pages show a series,
a moved occurrence (an exception) and the change form. It stays within the demo's booked
fortnight (demo.plan.FUTURE_DAYS). Costs a few dozen queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from appointments.models import Appointment
from appointments.selectors import first_free_slot, local_date
from appointments.series_plan import series_plan
from appointments.series_services import series_book
from demo.plan import FUTURE_DAYS
from doctors.models import Doctor
from patients.models import Patient

VISITS = 5  # a week of daily visits
DOCTORS_TRIED = 5
RULE = f"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={VISITS}"


def seed_series(
    *, doctor_ids: list[int], patient_id: int, stdout: Callable[[str], None] = print
) -> int:
    """Book VISITS visits, one each weekday, for the seeded hospital's first patient
    (`patient_id`) with the first of its first few doctors (`doctor_ids`) whose first free
    slot after tomorrow leaves room for them in the fortnight; a day that clashes takes the
    proposed time if it is within the fortnight, else is skipped. Returns the number booked
    (0 when no doctor, patient or room is found)."""
    patient = Patient.objects.active().filter(pk=patient_id).first()
    end = timezone.localdate() + datetime.timedelta(days=FUTURE_DAYS)
    doctors = Doctor.objects.active().filter(pk__in=doctor_ids[:DOCTORS_TRIED])
    for doctor in doctors.order_by("code"):
        first = first_free_slot(
            doctors=[doctor], day_from=timezone.localdate() + datetime.timedelta(days=2)
        )
        if patient is None or first is None:
            continue
        if local_date(first.start) + datetime.timedelta(days=VISITS + 2) >= end:
            continue
        booked = _book(patient, doctor, first, end)
        if booked:
            stdout(f"  ... a series of {booked} weekday visits for {patient} with {doctor}")
            return booked
    return 0


def _book(patient, doctor, first, end: datetime.date) -> int:
    length = first.end - first.start
    wanted = {"patient": patient, "doctor": doctor, "start": first.start, "rule": RULE}
    plan = series_plan(**wanted, length=length)
    moves = {
        o.wanted: o.alternative.start
        for o in plan.problems
        if o.alternative and local_date(o.alternative.start) < end
    }
    skip = [o.wanted for o in plan.problems if o.wanted not in moves]
    if len(skip) == len(plan.occurrences):
        return 0
    booked = series_book(
        **wanted, length=length, moves=moves, skip=skip, reason="Physiotherapy course", by=None
    )
    # Booked "this morning", as the seed dates what it loads: the same seed, the same hospital.
    morning = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(8)))
    Appointment.objects.filter(pk__in=[a.pk for a in booked]).update(
        created_at=morning, updated_at=morning
    )
    return len(booked)
