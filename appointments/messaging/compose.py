"""The words of each message, from templates the hospital may change, and the e-mail or text
that carries them.

`templates/appointments/messages/<kind>.txt` holds an e-mail: its first line is the subject,
the rest the body; `<kind>_sms.txt` holds the text message. They are rendered without HTML
escaping (plain text). Their context: `patient`, `doctor`, `start` and `end` (in the
hospital's zone), `hospital` (the display name of HMS_EMAIL_FROM), `kind`, `resent`; for a
waitlist offer (kind "offered", no appointment and no calendar file) also `expires` (when the
offer ends, in the hospital's zone).

A booking always has `series` (the local starts of a recurring series' booked occurrences,
else empty) and `replaced`: when the booked series continues another whose repeat rule the
desk changed, the local starts of that one's occurrences it replaced (cancelled "Series
changed: ...", without a message each), in time order; else empty. With `replaced`, the
booking is told by `series_changed.txt` and `series_changed_sms.txt` instead of `booked*.txt`
("Your appointments from <date> on have changed": the cancelled dates and the new ones), and
the e-mail carries a second calendar file, cancelled.ics (METHOD CANCEL), removing the replaced
appointments from the patient's calendar.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Exists, Max, OuterRef, Subquery
from django.template import Context, Engine
from django.utils import timezone

from appointments.messaging.ics import CalendarEvent, appointment_ics, cancellations_ics
from appointments.messaging.models import AppointmentMessage, MessageKind
from appointments.models import Appointment, AppointmentSeries, AppointmentStatus
from appointments.series import SERIES_CHANGED

TEMPLATE_DIR = "appointments/messages"


@functools.cache
def _engine() -> Engine:
    # The project's template folders, without autoescape: these are plain-text messages.
    return Engine(dirs=list(settings.TEMPLATES[0]["DIRS"]), app_dirs=False, autoescape=False)


def hospital_name() -> str:
    """The name the messages sign with: HMS_EMAIL_FROM's display name ("St. Aurelia Hospital
    <appointments@...>"), else "The hospital"."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "The hospital"


def _context(message: AppointmentMessage, replaced: list[Replaced] | None = None) -> dict:
    """The templates' context; `replaced` as `_replaced(message)` gave it, when known."""
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
        "replaced": [],
    }
    if message.offer_id is not None:
        context["expires"] = timezone.localtime(message.offer.expires_at, zone)
    else:
        context["series"] = _series_starts(message)
        rows = _replaced(message) if replaced is None else replaced
        context["replaced"] = [row.start for row in rows]
    return context


@dataclass(frozen=True)
class Replaced:
    """An occurrence a changed repeat rule replaced: its times (hospital zone) and the version
    its cancellation tells a calendar, above any message sent about it."""

    appointment_id: int
    start: datetime.datetime
    end: datetime.datetime
    sequence: int


def _replaced(message: AppointmentMessage) -> list[Replaced]:
    """For the booking of a series that continues another (`AppointmentSeries.continues`):
    the occurrences of that one it replaced, in time order; else none. One query.

    Those are the older series' occurrences cancelled "Series changed: ..." by the change
    that booked this one: cancelled no later than this series was created, and not before an
    earlier series continuing the same one was (what that earlier change replaced was told
    with it)."""
    appointment = message.appointment
    if message.kind != MessageKind.BOOKED or appointment.series_id is None:
        return []
    this = AppointmentSeries.objects.filter(pk=appointment.series_id)
    created = Subquery(this.values("created_at")[:1])
    told_before = AppointmentSeries.objects.filter(
        continues_id=OuterRef("series_id"),
        created_at__gte=OuterRef("updated_at"),
        created_at__lt=created,
    )
    rows = (
        Appointment.objects.filter(
            series_id=Subquery(this.values("continues_id")[:1]),
            status=AppointmentStatus.CANCELLED,
            cancel_reason__startswith=SERIES_CHANGED,
            updated_at__lte=created,
        )
        .exclude(Exists(told_before))
        .annotate(told=Max("messages__sequence"))
        .order_by("start", "pk")
        .values_list("pk", "start", "end", "told")
    )
    zone = timezone.get_default_timezone()
    return [
        Replaced(
            pk, timezone.localtime(start, zone), timezone.localtime(end, zone), (told or 0) + 1
        )
        for pk, start, end, told in rows
    ]


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


def _template(message: AppointmentMessage, context: dict) -> str:
    """The message's template name without ".txt": its kind's, or a changed series'."""
    return "series_changed" if context["replaced"] else message.kind


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    ics: bytes | None  # None for a waitlist offer: there is no appointment to put in a calendar
    # A changed series' booking: the replaced appointments, cancelled (METHOD CANCEL).
    cancelled_ics: bytes | None = None


def compose_email(message: AppointmentMessage, *, to: str) -> Email:
    replaced = _replaced(message) if message.appointment_id is not None else []
    context = _context(message, replaced)
    subject, _, body = _render(f"{_template(message, context)}.txt", context).partition("\n")
    subject = " ".join(subject.split())
    if message.appointment_id is None:
        return Email(subject=subject, body=body.strip() + "\n", ics=None)
    summary = _render("calendar_summary.txt", context)
    people = {
        "organizer_name": context["hospital"],
        "organizer_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "hms@localhost",
        "attendee_name": message.appointment.patient.full_name,
        "attendee_email": to,
    }
    ics = appointment_ics(
        appointment_id=message.appointment_id,
        start=context["start"],
        end=context["end"],
        sequence=message.sequence,
        cancel=is_cancellation(message),
        summary=summary,
        description=_render("calendar_description.txt", context),
        **people,
    )
    cancelled = None
    if replaced:
        events = [
            CalendarEvent(
                appointment_id=row.appointment_id,
                start=row.start,
                end=row.end,
                sequence=row.sequence,
                summary=summary,
                description=_render(
                    "calendar_description.txt", {**context, "start": row.start, "end": row.end}
                ),
            )
            for row in replaced
        ]
        cancelled = cancellations_ics(events=events, **people)
    return Email(subject=subject, body=body.strip() + "\n", ics=ics, cancelled_ics=cancelled)


def email_message(message: AppointmentMessage, *, to: str, connection=None) -> EmailMessage:
    """The e-mail with its .ics attached as text/calendar with the iTIP method, which is what
    makes mail apps offer "add to calendar" (or remove it, for a cancellation); a waitlist
    offer's has none (nothing is booked yet). A changed series' booking also attaches
    cancelled.ics, removing the appointments it replaced."""
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
    method = "CANCEL" if is_cancellation(message) else "REQUEST"
    email.attach(_calendar_part(composed.ics, method=method, filename="appointment.ics"))
    if composed.cancelled_ics is not None:
        email.attach(
            _calendar_part(composed.cancelled_ics, method="CANCEL", filename="cancelled.ics")
        )
    return email


def _calendar_part(ics: bytes, *, method: str, filename: str) -> MIMEText:
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def sms_text(message: AppointmentMessage) -> str:
    context = _context(message)
    return " ".join(_render(f"{_template(message, context)}_sms.txt", context).split())
