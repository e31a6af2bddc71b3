"""Reads of the check-in queue: a doctor's queue of the day (their day list) and the
waiting-room display's board, which holds no patient's name, number or time: token numbers,
and the doctors and rooms as chosen for public display."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db.models import QuerySet

from appointments.models import AppointmentStatus
from appointments.queue import QueueTicket
from doctors.models import Doctor

# Waiting tokens the display lists per queue, and seconds a call shows as fresh (flashing).
DISPLAY_WAITING = 5
FRESH_SECONDS = 20


def live_tickets(*, doctor: Doctor | None = None, day: datetime.date) -> QuerySet[QueueTicket]:
    """The tokens of `day` (one doctor's, or all) whose patient is checked in: waiting, called
    or in their visit. Withdrawn tokens, finished visits and patients gone home drop out."""
    tickets = QueueTicket.objects.filter(
        day=day, withdrawn_at__isnull=True, appointment__status=AppointmentStatus.CHECKED_IN
    )
    return tickets.filter(doctor=doctor) if doctor is not None else tickets


def waiting_tickets(*, doctor: Doctor, day: datetime.date) -> QuerySet[QueueTicket]:
    """The doctor's tokens of `day` still waiting: checked in, not called, visit not begun.
    (The one-query pages below apply the same rule to the live tokens they read.)"""
    return live_tickets(doctor=doctor, day=day).filter(
        called_at__isnull=True, appointment__attendance__started_at=None
    )


def now_called(tickets: list[QueueTicket]) -> QueueTicket | None:
    """The token called (or recalled) last among `tickets`: the one the display shows."""
    called = [t for t in tickets if t.announced_at is not None]
    return max(called, key=lambda t: (t.announced_at, t.pk)) if called else None


@dataclass(frozen=True)
class DoctorQueue:
    """A doctor's queue of a day: who is called now and who waits, in token order."""

    called: QueueTicket | None
    waiting: list[QueueTicket]
    others_called: list[QueueTicket]

    @property
    def called_number(self) -> int:
        return self.called.number if self.called else 0


def doctor_queue(*, doctor: Doctor, day: datetime.date) -> DoctorQueue:
    """One query: the doctor's live tokens of the day with patient and visit start."""
    tickets = list(
        live_tickets(doctor=doctor, day=day)
        .select_related("appointment__patient", "appointment__attendance")
        .order_by("number")
    )
    called = now_called(tickets)
    waiting = [  # as waiting_tickets
        t
        for t in tickets
        if t.called_at is None
        and getattr(t.appointment, "attendance", None) is not None
        and t.appointment.attendance.started_at is None
    ]
    others = [t for t in tickets if t.called_at is not None and t is not called]
    return DoctorQueue(called=called, waiting=waiting, others_called=others)


# --- The waiting-room display ---------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """What one queue shows: the doctor and room as chosen for display, the token called now
    (fresh: called in the last FRESH_SECONDS), and the next waiting tokens with their count."""

    code: str
    name: str
    room: str
    called: int | None = None
    fresh: bool = False
    waiting: list[int] = field(default_factory=list)
    waiting_count: int = 0

    @property
    def more(self) -> int:
        return self.waiting_count - len(self.waiting)


@dataclass(frozen=True)
class Board:
    screens: list[Screen]
    version: str  # changes whenever anything shown changes: the display's poll skips otherwise


def public_name(doctor: dict) -> str:
    return doctor["queue_room__display_name"] or f"Dr {doctor['last_name']}".strip()


def display_doctors() -> dict[str, dict]:
    """Every active doctor by code, with only what the display may show. One query."""
    rows = Doctor.objects.filter(is_active=True).values(
        "id", "code", "last_name", "queue_room__room", "queue_room__display_name"
    )
    return {
        row["code"]: {"id": row["id"], "name": public_name(row), "room": row["queue_room__room"]}
        for row in rows
    }


def display_board(
    *, day: datetime.date, now: datetime.datetime, doctors: dict[str, dict], code: str = ""
) -> Board:
    """The display's board of `day`: one query over the live tokens (numbers, doctors and call
    times only: no patient column is read), grouped per doctor in Python. With `code`, that
    doctor's screen alone (shown even while their queue is empty); without, every doctor with
    a token today, in room order."""
    rows = live_tickets(day=day).values_list(
        "doctor_id", "number", "called_at", "announced_at", "appointment__attendance__started_at"
    )
    if code:
        rows = rows.filter(doctor_id=doctors[code]["id"])
    by_doctor: dict[int, list[tuple]] = {}
    for row in rows.order_by("doctor_id", "number"):
        by_doctor.setdefault(row[0], []).append(row)
    screens = []
    for doctor_code, doctor in doctors.items():
        tickets = by_doctor.get(doctor["id"])
        if tickets is None and doctor_code != code:
            continue
        screens.append(_screen(doctor_code, doctor, tickets or [], now))
    screens.sort(key=lambda s: (s.room or "~", s.name, s.code))
    digest = hashlib.sha256(repr([day, *screens]).encode()).hexdigest()[:16]
    return Board(screens=screens, version=digest)


def _screen(code: str, doctor: dict, tickets: list[tuple], now: datetime.datetime) -> Screen:
    called = [t for t in tickets if t[3] is not None]
    latest = max(called, key=lambda t: t[3]) if called else None
    waiting = [t[1] for t in tickets if t[2] is None and t[4] is None]  # as waiting_tickets
    return Screen(
        code=code,
        name=doctor["name"],
        room=doctor["room"],
        called=latest[1] if latest else None,
        fresh=latest is not None and (now - latest[3]).total_seconds() < FRESH_SECONDS,
        waiting=waiting[:DISPLAY_WAITING],
        waiting_count=len(waiting),
    )
