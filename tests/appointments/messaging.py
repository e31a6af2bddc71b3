"""Helpers for the tests of messages to patients: a bookable doctor, tomorrow's times in the
hospital's zone, the .ics read back with icalendar, and a mail server that refuses."""

from __future__ import annotations

import datetime
import smtplib

import icalendar
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from appointments.messaging import services as messaging
from appointments.messaging.models import AppointmentMessage

# Not UTC, so a time written in UTC instead of the hospital's zone shows.
ZONE = "America/New_York"


def tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def send_all() -> list[AppointmentMessage | None]:
    """What the queued jobs do, in the order they were written (the worker's own tests run
    them on a real worker)."""
    pending = AppointmentMessage.objects.filter(status="pending").order_by("pk")
    return [messaging.message_send(message_id=pk) for pk in pending.values_list("pk", flat=True)]


def calendar_of(message: mail.EmailMessage) -> icalendar.Calendar:
    """The message's one .ics attachment, parsed; checks how it is attached on the way."""
    [part] = [a for a in message.attachments if not isinstance(a, tuple)]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") in ("REQUEST", "CANCEL")
    assert part.get_filename() == "appointment.ics"
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def event_of(message: mail.EmailMessage) -> icalendar.Event:
    [event] = calendar_of(message).walk("VEVENT")
    return event


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every address at refused.example and takes the others."""

    def send_messages(self, messages):
        for message in messages:
            refused = [a for a in message.to if a.endswith("@refused.example")]
            if refused:
                raise smtplib.SMTPRecipientsRefused(
                    {a: (550, b"5.1.1 No such user here") for a in refused}
                )
            mail.outbox.append(message)
        return len(messages)
