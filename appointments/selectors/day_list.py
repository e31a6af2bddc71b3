"""The printed day list: for each doctor of a day, their hours, their time away and every
appointment with what the desk needs at hand (the patient's MRN, date of birth and phone),
for the page that prints on A4 and for its CSV."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment
from appointments.selectors.availability import Slot, _valid_on
from appointments.selectors.calendar import _hours_and_time_off
from appointments.selectors.lists import appointments_between
from doctors.models import Doctor, WorkingHours

DAY_LIST_COLUMNS = (
    "date",
    "start",
    "end",
    "doctor_code",
    "doctor",
    "specialty",
    "mrn",
    "patient",
    "date_of_birth",
    "phone",
    "reason",
    "status",
)


@dataclass
class DoctorDayList:
    doctor: Doctor
    hours: list[WorkingHours]
    time_off: list[Slot]
    appointments: list[Appointment]

    @property
    def active_count(self) -> int:
        """Appointments still taking the doctor's time (not cancelled, not no-shows)."""
        return sum(a.status in ACTIVE_STATUSES for a in self.appointments)


def day_list(*, day: datetime.date, doctors: Sequence[Doctor]) -> list[DoctorDayList]:
    """The day list of `doctors` on `day`, in their order, each appointment (any status) in
    time order with its patient. Three queries whatever the number of doctors and
    appointments: hours, time off, appointments."""
    hours, time_off = _hours_and_time_off(doctors, day, day)
    by_doctor: dict[int, list[Appointment]] = defaultdict(list)
    by_pk = {doctor.pk: doctor for doctor in doctors}
    appointments = (
        appointments_between(day_from=day, day_to=day, doctor_ids=by_pk)
        .select_related(None)
        .select_related("patient")
        .only(
            "start",
            "end",
            "status",
            "reason",
            "cancel_reason",
            "doctor_id",
            "patient__mrn",
            "patient__first_name",
            "patient__last_name",
            "patient__date_of_birth",
            "patient__phone",
        )
        .order_by("start", "pk")
    )
    for appointment in appointments:
        appointment.doctor = by_pk[appointment.doctor_id]
        by_doctor[appointment.doctor_id].append(appointment)
    return [
        DoctorDayList(
            doctor=doctor,
            hours=[h for h in hours[doctor.pk] if _valid_on(h, day)],
            time_off=time_off[doctor.pk],
            appointments=by_doctor[doctor.pk],
        )
        for doctor in doctors
    ]


def day_list_rows(lists: Sequence[DoctorDayList]) -> Iterator[tuple]:
    """One CSV row per appointment (DAY_LIST_COLUMNS), local times."""
    tz = timezone.get_default_timezone()
    for entry in lists:
        doctor = entry.doctor
        for appointment in entry.appointments:
            start = timezone.localtime(appointment.start, tz)
            end = timezone.localtime(appointment.end, tz)
            patient = appointment.patient
            yield (
                f"{start:%Y-%m-%d}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                doctor.code,
                str(doctor),
                doctor.specialty.name,
                patient.mrn,
                f"{patient.last_name}, {patient.first_name}",
                f"{patient.date_of_birth:%Y-%m-%d}" if patient.date_of_birth else "",
                patient.phone,
                appointment.reason,
                appointment.get_status_display(),
            )
