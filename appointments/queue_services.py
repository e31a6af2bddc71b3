"""Writes on the check-in queue: a token at check-in (and its withdrawal when the check-in is
undone), "call next", calling a chosen patient, and a recall.

Check-in and its undo (appointments.status_moves) call `queue_ticket_issue` and
`queue_ticket_withdraw` in their own transaction; the doctor's day list calls the rest.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.queue import HOSPITAL_QUEUE, QueueCounter, QueueRoom, QueueTicket
from appointments.selectors.queue import live_tickets, waiting_tickets
from core import audit
from core.actors import acting_user
from doctors.models import Doctor


class QueueRefused(ValidationError):
    """A call the queue cannot make; `str()` is a sentence for the doctor."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="queue_refused")

    def __str__(self) -> str:
        return str(self.message)


def queue_of(doctor_id: int) -> int:
    """The queue a doctor's patients take numbers in: the doctor's own, or the hospital's."""
    return HOSPITAL_QUEUE if settings.HMS_QUEUE_SCOPE == "hospital" else doctor_id


# The display's cache (appointments.queue_pages): its doctors, and a day's board of every
# queue ("") or of one doctor's code. A change of a queue drops its boards at once here; other
# server processes show it when their copy expires (seconds).
DISPLAY_DOCTORS_KEY = "queue:display-doctors"


def board_key(day: datetime.date, code: str = "") -> str:
    return f"queue:board:{day.isoformat()}:{code}"


def _board_changed(doctor: Doctor, day: datetime.date) -> None:
    keys = [board_key(day), board_key(day, doctor.code)]
    transaction.on_commit(lambda: cache.delete_many(keys))


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


_COUNTER = QueueCounter._meta.db_table
# One statement: the day's first check-in of a queue creates its counter at 1, every later one
# adds 1. The row stays locked until the caller's transaction ends, so concurrent check-ins to
# the queue number one after another, and a check-in that rolls back gives its number back.
_NEXT_NUMBER = f"""
    INSERT INTO {_COUNTER} AS c (created_at, updated_at, day, queue, last_number)
    VALUES (now(), now(), %(day)s, %(queue)s, 1)
    ON CONFLICT (day, queue)
    DO UPDATE SET last_number = c.last_number + 1, updated_at = now()
    RETURNING last_number"""


def queue_ticket_issue(*, appointment: Appointment, now: datetime.datetime) -> QueueTicket:
    """The next token of the appointment's queue today, for a check-in in progress (the
    caller holds the appointment's lock and its transaction). Gap-free per queue and day."""
    day = _local_day(now)
    queue = queue_of(appointment.doctor_id)
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, {"day": day, "queue": queue})
        (number,) = cursor.fetchone()
    doctor_id = appointment.doctor_id
    ticket = QueueTicket(
        appointment=appointment, doctor_id=doctor_id, day=day, queue=queue, number=number
    )
    ticket.full_clean(validate_constraints=False)  # the database holds them (no extra reads)
    ticket.save()
    _board_changed(appointment.doctor, day)
    return ticket


def queue_ticket_withdraw(*, appointment: Appointment, now: datetime.datetime) -> int | None:
    """Withdraw the appointment's live token (its check-in undone): it leaves the display and
    the doctor's queue, and its number is never given again. The number, or None."""
    ticket = (
        QueueTicket.objects.select_for_update()
        .filter(appointment=appointment, withdrawn_at__isnull=True)
        .first()
    )
    if ticket is None:
        return None
    ticket.withdrawn_at = now
    ticket.save(update_fields=["withdrawn_at", "updated_at"])
    _board_changed(appointment.doctor, ticket.day)
    return ticket.number


def _lock_doctor_queue(doctor: Doctor) -> None:
    # Calls of one doctor's queue go one at a time: two quick clicks on "Call next" (or two
    # screens) must not both take the same "next". FOR NO KEY UPDATE on the doctor's row does
    # not hold up bookings (their foreign keys take KEY SHARE).
    Doctor.objects.select_for_update(no_key=True).filter(pk=doctor.pk).values_list("pk").get()


def _announce(
    ticket: QueueTicket, *, doctor: Doctor, by: Any, now: datetime.datetime
) -> QueueTicket:
    if ticket.called_at is None:
        ticket.called_at = now
        ticket.called_by = acting_user(by)
    ticket.announced_at = now
    ticket.calls += 1
    ticket.save(update_fields=["called_at", "called_by", "announced_at", "calls", "updated_at"])
    _board_changed(doctor, ticket.day)
    return ticket


@transaction.atomic
def queue_call_next(
    *,
    doctor: Doctor,
    by: Any,
    ticket: QueueTicket | None = None,
    after: int | None = None,
    now: datetime.datetime | None = None,
) -> QueueTicket:
    """Call the doctor's next patient: the lowest number checked in today and not called yet
    (nor already in their visit), or the chosen `ticket` out of turn. The display shows it at
    once. `after` is the number the doctor's page showed as called last (0: none): when
    another call came first (a second click), nothing is called and QueueRefused says so."""
    now = now or timezone.now()
    day = _local_day(now)
    _lock_doctor_queue(doctor)
    tickets = live_tickets(doctor=doctor, day=day)
    if after is not None:
        last = tickets.filter(called_at__isnull=False).order_by("-announced_at", "-id").first()
        if (last.number if last else 0) != after:
            raise QueueRefused(
                f"Token {last.number} was called meanwhile; the list now shows who is next."
                if last
                else "The queue changed meanwhile; the list now shows who is next."
            )
    waiting = waiting_tickets(doctor=doctor, day=day)
    if ticket is not None:
        chosen = waiting.filter(pk=ticket.pk).first()
        if chosen is None:
            raise QueueRefused(
                f"Token {ticket.number} is no longer waiting (called, seen or gone home)."
            )
    else:
        chosen = waiting.order_by("number").first()
        if chosen is None:
            raise QueueRefused("Nobody is waiting in your queue.")
    return _announce(chosen, doctor=doctor, by=by, now=now)


@transaction.atomic
def queue_recall(
    *, ticket: QueueTicket, by: Any, now: datetime.datetime | None = None
) -> QueueTicket:
    """Announce a called token again (the patient did not come): the display shows it as
    called now. Only a token of today whose patient is still checked in."""
    now = now or timezone.now()
    _lock_doctor_queue(ticket.doctor)
    current = live_tickets(doctor=ticket.doctor, day=_local_day(now)).filter(pk=ticket.pk).first()
    if current is None or current.called_at is None:
        raise QueueRefused(f"Token {ticket.number} is not called today; call it first.")
    return _announce(current, doctor=ticket.doctor, by=by, now=now)


@transaction.atomic
def queue_room_save(*, doctor: Doctor, room: str, display_name: str, by: Any) -> QueueRoom:
    """Set how the waiting-room display names the doctor: room and public name (blank: "Dr
    <last name>"). Audited; this server's display shows it at its next poll, others within
    a minute (their cache)."""
    queue_room = QueueRoom.objects.filter(doctor=doctor).first() or QueueRoom(doctor=doctor)
    fields = ("doctor", "room", "display_name")
    before = audit.snapshot(queue_room, fields) if queue_room.pk else None
    queue_room.room, queue_room.display_name = room.strip(), display_name.strip()
    queue_room.full_clean()
    queue_room.save()
    after = audit.snapshot(queue_room, fields)
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE if before else audit.Action.CREATE,
        obj=queue_room,
        changes=audit.diff(before, after) if before else audit.created(queue_room, fields),
    )
    transaction.on_commit(lambda: cache.delete(DISPLAY_DOCTORS_KEY))
    return queue_room


@transaction.atomic
def queue_room_delete(*, queue_room: QueueRoom, by: Any) -> None:
    """Forget the doctor's room: the display shows "Dr <last name>" and no room."""
    fields = ("doctor", "room", "display_name")
    before = audit.snapshot(queue_room, fields)
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=queue_room,
        changes={name: {"before": value, "after": None} for name, value in before.items()},
    )
    queue_room.delete()
    transaction.on_commit(lambda: cache.delete(DISPLAY_DOCTORS_KEY))
