"""The .ics calendar file of an appointment message (RFC 5545, iTIP methods REQUEST and
CANCEL), so the patient's phone puts the appointment in its calendar, moves it and removes it.

One UID per appointment for its whole life (`appointment_uid`); SEQUENCE is the message's
version of the appointment, raised by every move and the cancellation, so a calendar keeps
the newest; times carry the hospital's zone (TZID, with its VTIMEZONE). A series whose repeat
rule changed also sends one file cancelling every replaced appointment (`cancellations_ics`).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//HMS hospital management system//Appointments//EN"


def appointment_uid(appointment_id: int) -> str:
    """The appointment's UID in every calendar: its id at the site's host name (the passkeys'
    relying party, which the hospital keeps as long as the site lives)."""
    return f"appointment-{appointment_id}@{settings.HMS_WEBAUTHN_RP_ID}"


def _hospital_zone() -> datetime.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def appointment_ics(
    *,
    appointment_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    sequence: int,
    cancel: bool,
    summary: str,
    description: str,
    organizer_name: str,
    organizer_email: str,
    attendee_name: str,
    attendee_email: str,
) -> bytes:
    """The calendar of one message: METHOD CANCEL with `cancel`, else REQUEST."""
    people = _People(organizer_name, organizer_email, attendee_name, attendee_email)
    event = CalendarEvent(appointment_id, start, end, sequence, summary, description)
    return _calendar([event], cancel=cancel, people=people)


@dataclass(frozen=True)
class CalendarEvent:
    """One appointment in a calendar file, at the version (SEQUENCE) the file tells."""

    appointment_id: int
    start: datetime.datetime
    end: datetime.datetime
    sequence: int
    summary: str
    description: str


def cancellations_ics(
    *,
    events: list[CalendarEvent],
    organizer_name: str,
    organizer_email: str,
    attendee_name: str,
    attendee_email: str,
) -> bytes:
    """One calendar file cancelling several appointments (METHOD CANCEL, a VEVENT each with
    its appointment's UID): the replaced ones of a series whose repeat rule changed."""
    people = _People(organizer_name, organizer_email, attendee_name, attendee_email)
    return _calendar(events, cancel=True, people=people)


@dataclass(frozen=True)
class _People:
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str


def _calendar(events: list[CalendarEvent], *, cancel: bool, people: _People) -> bytes:
    zone = _hospital_zone()
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    stamp = timezone.now().astimezone(datetime.UTC)
    for told in events:
        event = Event()
        event.add("uid", appointment_uid(told.appointment_id))
        event.add("sequence", told.sequence)
        event.add("dtstamp", stamp)
        event.add("dtstart", told.start.astimezone(zone))
        event.add("dtend", told.end.astimezone(zone))
        event.add("summary", told.summary)
        event.add("description", told.description)
        event.add("status", "CANCELLED" if cancel else "CONFIRMED")
        event.add("transp", "OPAQUE")
        organizer = vCalAddress(f"mailto:{people.organizer_email}")
        if people.organizer_name:
            organizer.params["CN"] = vText(people.organizer_name)
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{people.attendee_email}")
        attendee.params["CN"] = vText(people.attendee_name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
