"""The words of each message, from templates the hospital may change, and the e-mail or text
that carries them.

`templates/appointments/messages/<kind>.txt` holds an e-mail: its first line is the subject,
the rest the body; `<kind>_sms.txt` holds the text message. They are rendered without HTML
escaping (plain text). Their context: `patient`, `doctor`, `start` and `end` (in the
hospital's zone), `hospital` (the display name of HMS_EMAIL_FROM), `kind`, `resent`; for a
waitlist offer (kind "offered", no appointment and no calendar file) also `expires` (when the
offer ends, in the hospital's zone).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context, Engine
from django.utils import timezone

from appointments.messaging.ics import appointment_ics
from appointments.messaging.models import AppointmentMessage, MessageKind

TEMPLATE_DIR = "appointments/messages"


@functools.cache
def _engine() -> Engine:
    # The project's template folders, without autoescape: these are plain-text messages.
    return Engine(dirs=list(settings.TEMPLATES[0]["DIRS"]), app_dirs=False, autoescape=False)


def hospital_name() -> str:
    """The name the messages sign with: HMS_EMAIL_FROM's display name ("St. Aurelia Hospital
    <appointments@...>"), else "The hospital"."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "The hospital"


def _context(message: AppointmentMessage) -> dict:
    zone = timezone.get_default_timezone()
    about = message.appointment if message.appointment_id is not None else message.offer
    context = {
        "patient": message.patient,
        "doctor": about.doctor,
        "start": timezone.localtime(about.start, zone),
        "end": timezone.localtime(about.end, zone),
        "hospital": hospital_name(),
        "kind": message.kind,
        "resent": message.copy > 0,
        "series": [],
    }
    if message.offer_id is not None:
        context["expires"] = timezone.localtime(message.offer.expires_at, zone)
    else:
        context["series"] = _series_starts(message)
    return context


def _series_starts(message: AppointmentMessage) -> list:
    """For the booking of a recurring series (one message for the whole series, on its first
    occurrence): the local starts of its booked occurrences; else none. One query."""
    appointment = message.appointment
    if message.kind != MessageKind.BOOKED or appointment.series_id is None:
        return []
    zone = timezone.get_default_timezone()
    starts = (
        type(appointment)
        .objects.active()
        .filter(series_id=appointment.series_id)
        .order_by("start")
        .values_list("start", flat=True)
    )
    return [timezone.localtime(start, zone) for start in starts]


def _render(name: str, context: dict) -> str:
    return _engine().get_template(f"{TEMPLATE_DIR}/{name}").render(Context(context)).strip()


def is_cancellation(message: AppointmentMessage) -> bool:
    return message.kind == MessageKind.CANCELLED


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    ics: bytes | None  # None for a waitlist offer: there is no appointment to put in a calendar


def compose_email(message: AppointmentMessage, *, to: str) -> Email:
    context = _context(message)
    subject, _, body = _render(f"{message.kind}.txt", context).partition("\n")
    subject = " ".join(subject.split())
    if message.appointment_id is None:
        return Email(subject=subject, body=body.strip() + "\n", ics=None)
    summary = _render("calendar_summary.txt", context)
    ics = appointment_ics(
        appointment_id=message.appointment_id,
        start=context["start"],
        end=context["end"],
        sequence=message.sequence,
        cancel=is_cancellation(message),
        summary=summary,
        description=_render("calendar_description.txt", context),
        organizer_name=context["hospital"],
        organizer_email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "hms@localhost",
        attendee_name=message.appointment.patient.full_name,
        attendee_email=to,
    )
    return Email(subject=subject, body=body.strip() + "\n", ics=ics)


def email_message(message: AppointmentMessage, *, to: str, connection=None) -> EmailMessage:
    """The e-mail with its .ics attached as text/calendar with the iTIP method, which is what
    makes mail apps offer "add to calendar" (or remove it, for a cancellation); a waitlist
    offer's has none (nothing is booked yet)."""
    composed = compose_email(message, to=to)
    email = EmailMessage(
        subject=composed.subject,
        body=composed.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )
    if composed.ics is None:
        return email
    part = MIMEText(composed.ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", "CANCEL" if is_cancellation(message) else "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    email.attach(part)
    return email


def sms_text(message: AppointmentMessage) -> str:
    return " ".join(_render(f"{message.kind}_sms.txt", _context(message)).split())
