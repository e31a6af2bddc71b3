"""Small builders shared by the report tests."""

import datetime

from django.utils import timezone

from appointments.models import Appointment


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware datetime at a local (hospital zone) wall-clock time."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def local_text(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def booked(appointment: Appointment, days_ahead: float) -> None:
    """Pretend the appointment was booked `days_ahead` days before its start."""
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=appointment.start - datetime.timedelta(days=days_ahead)
    )
