"""Lists of appointments: a period, today's arrivals, one appointment and its history, a
patient's upcoming and past visits."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatusChange, QueueTicket
from appointments.selectors.availability import _local_midnight
from doctors.models import Doctor
from patients.models import Patient


def _day_bounds(day_from: datetime.date, day_to: datetime.date):
    return _local_midnight(day_from), _local_midnight(day_to + datetime.timedelta(days=1))


def appointments_between(
    *,
    day_from: datetime.date,
    day_to: datetime.date,
    doctor_ids: Iterable[int] | None = None,
) -> QuerySet[Appointment]:
    """Appointments starting in the days (hospital local time), with patient and doctor, in
    time order. One query on `appt_start_idx` / `appt_doctor_start_idx`."""
    start, end = _day_bounds(day_from, day_to)
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .select_related("patient", "doctor__specialty")
        .order_by("start", "doctor__last_name", "pk")
    )
    if doctor_ids is not None:
        appointments = appointments.filter(doctor_id__in=list(doctor_ids))
    return appointments


def arrivals(*, day: datetime.date, doctor: Doctor | None = None) -> QuerySet[Appointment]:
    """The day's appointments for the arrivals desk, with the check-in time, the queue token
    and when the visit started (and nothing else of the visit record: the front desk sees no
    clinical content). One query (the token a subquery on the appointment's live token)."""
    token = QueueTicket.objects.filter(appointment=OuterRef("pk"), withdrawn_at__isnull=True)
    appointments = appointments_between(day_from=day, day_to=day).annotate(
        checked_in_at=F("attendance__checked_in_at"),
        visit_started_at=F("attendance__started_at"),
        queue_token=Subquery(token.values("number")[:1]),
    )
    if doctor is not None:
        appointments = appointments.filter(doctor=doctor)
    return appointments


def appointment_detail(*, pk: int) -> Appointment:
    """One appointment with its patient, doctor and specialty, when it was checked in and
    when its visit started. One query; Http404-able through `Appointment.DoesNotExist`."""
    return (
        Appointment.objects.select_related("patient", "doctor__specialty", "booked_by")
        .annotate(
            checked_in_at=F("attendance__checked_in_at"),
            visit_started_at=F("attendance__started_at"),
        )
        .get(pk=pk)
    )


def appointment_history(*, appointment: Appointment) -> QuerySet[AppointmentStatusChange]:
    """Every move of an appointment, oldest first, with who made it. One query."""
    return AppointmentStatusChange.objects.filter(appointment=appointment).select_related(
        "changed_by"
    )


def patient_appointments(
    *, patient: Patient, upcoming: bool, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    """A patient's upcoming (soonest first) or past (latest first) appointments with the
    doctor. One query on `appt_patient_start_idx`; slice it for a page."""
    now = now or timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related("doctor__specialty")
    if upcoming:
        return appointments.filter(end__gt=now).order_by("start", "pk")
    return appointments.filter(end__lte=now).order_by("-start", "-pk")
