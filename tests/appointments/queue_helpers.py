"""Helpers for the check-in queue's tests: today's appointments, checked in through the service."""

import datetime

from django.utils import timezone

from appointments.services import appointment_check_in
from tests.factories import AppointmentFactory


def today_slot(index: int, minutes: int = 10) -> tuple[datetime.datetime, datetime.datetime]:
    """The `index`-th `minutes`-long slot of today from 07:00 local (back to back)."""
    first = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(7, 0))
    )
    start = first + datetime.timedelta(minutes=minutes * index)
    return start, start + datetime.timedelta(minutes=minutes)


def booked_today(doctor, index: int, **fields):
    """A scheduled appointment of `doctor` in today's slot `index`."""
    start, end = today_slot(index)
    return AppointmentFactory(doctor=doctor, start=start, end=end, **fields)


def checked_in_today(doctor, index: int, *, by=None, now=None, **fields):
    """An appointment of today checked in through the service; returns it with its token
    (`appointment.queue_ticket`)."""
    appointment = booked_today(doctor, index, **fields)
    return appointment_check_in(appointment=appointment, by=by, now=now)
