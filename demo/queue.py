"""Today's check-in queue in the demo hospital (issue 18): every doctor a room on the
waiting-room display, and a few of today's patients of the first doctors checked in (through
`appointment_check_in`, as the desk does, so each has a token) with the first of each queue
called. A few dozen queries."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, QueueRoom
from appointments.queue_services import queue_call_next
from appointments.selectors import appointments_between
from appointments.services import appointment_check_in
from doctors.models import Doctor

QUEUES = 3  # doctors with patients waiting today
CHECKED_IN = 4  # patients checked in per queue


def seed_queue(*, doctor_ids: list[int], stdout: Callable[[str], None] = print) -> int:
    """Rooms for every doctor of `doctor_ids` (Room 1, 2, … in code order), then today's first
    CHECKED_IN scheduled patients of the first QUEUES doctors with that many, checked in,
    and the first of each called. Returns the number of tokens given."""
    doctors = list(Doctor.objects.filter(pk__in=doctor_ids).order_by("code"))
    QueueRoom.objects.bulk_create(
        [QueueRoom(doctor=d, room=f"Room {n}") for n, d in enumerate(doctors, 1)],
        ignore_conflicts=True,
    )
    today = timezone.localdate()
    by_doctor: dict[int, list[Appointment]] = {}
    scheduled = appointments_between(day_from=today, day_to=today).filter(
        status=AppointmentStatus.SCHEDULED, doctor_id__in=doctor_ids
    )
    for appointment in scheduled.order_by("doctor__code", "start"):
        by_doctor.setdefault(appointment.doctor_id, []).append(appointment)
    tokens = queues = 0
    for doctor in doctors:
        waiting = by_doctor.get(doctor.pk, [])[:CHECKED_IN]
        if len(waiting) < CHECKED_IN or queues == QUEUES:
            continue
        for appointment in waiting:
            appointment_check_in(appointment=appointment, by=None)
            tokens += 1
        queue_call_next(doctor=doctor, by=None)
        queues += 1
    if tokens:
        stdout(f"  ... {tokens} patients checked in today, in {queues} queues, one called each")
    return tokens
