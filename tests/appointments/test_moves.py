"""Status moves of DESIGN.md: cancel, check in, no-show, reschedule; each one recorded."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.models import AppointmentStatus, AppointmentStatusChange, Attendance
from appointments.services import (
    ALLOWED_MOVES,
    MoveRefused,
    appointment_cancel,
    appointment_check_in,
    appointment_no_show,
    appointment_reschedule,
    appointment_undo_check_in,
)
from core.models import AuditEvent
from tests.appointments.factories import at, doctor_with_hours
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
S = AppointmentStatus


def today_appointment(**fields):
    """An appointment on today's local date (started a moment ago, so every move applies)."""
    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    start = max(now - datetime.timedelta(minutes=1), midnight)
    return AppointmentFactory(start=start, end=start + datetime.timedelta(minutes=30), **fields)


def last_change(appointment):
    return AppointmentStatusChange.objects.filter(appointment=appointment).latest("id")


def test_it_cancels_with_the_reason_and_records_who_and_from_what(front_desk):
    appointment = AppointmentFactory()

    appointment_cancel(appointment=appointment, reason="  Patient is travelling ", by=front_desk)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (S.CANCELLED, "Patient is travelling")
    change = last_change(appointment)
    assert (change.from_status, change.to_status, change.changed_by) == (
        S.SCHEDULED,
        S.CANCELLED,
        front_desk,
    )
    assert "Patient is travelling" in change.note
    audit = AuditEvent.objects.filter(object_id=str(appointment.pk)).latest("id")
    assert audit.changes["status"] == {"before": "scheduled", "after": "cancelled"}


def test_it_refuses_to_cancel_without_a_reason(front_desk):
    appointment = AppointmentFactory()

    with pytest.raises(ValidationError, match="why"):
        appointment_cancel(appointment=appointment, reason="   ", by=front_desk)

    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED
    assert not AppointmentStatusChange.objects.filter(appointment=appointment).exists()


def test_it_checks_in_and_creates_the_attendance(front_desk):
    appointment = today_appointment()

    appointment_check_in(appointment=appointment, by=front_desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN
    attendance = Attendance.objects.get(appointment=appointment)
    assert attendance.patient == appointment.patient
    assert attendance.checked_in_by == front_desk
    assert abs(attendance.checked_in_at - timezone.now()) < datetime.timedelta(minutes=1)
    assert (last_change(appointment).from_status, last_change(appointment).to_status) == (
        S.SCHEDULED,
        S.CHECKED_IN,
    )


def test_it_checks_in_only_on_the_day_of_the_appointment(front_desk):
    appointment = AppointmentFactory(start=at(9), end=at(9, 30))  # in 2030

    with pytest.raises(MoveRefused, match="on the day"):
        appointment_check_in(appointment=appointment, by=front_desk)
    assert not Attendance.objects.exists()


def test_it_lets_a_checked_in_patient_leave_by_cancelling(front_desk):
    appointment = today_appointment()
    appointment_check_in(appointment=appointment, by=front_desk)

    appointment_cancel(appointment=appointment, reason="Left before being seen", by=front_desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert last_change(appointment).from_status == S.CHECKED_IN


def test_it_asks_the_allowed_moves_table_before_undoing_a_check_in(front_desk, monkeypatch):
    appointment = today_appointment()
    appointment_check_in(appointment=appointment, by=front_desk)
    monkeypatch.setitem(ALLOWED_MOVES, S.CHECKED_IN, frozenset({S.COMPLETED, S.CANCELLED}))

    with pytest.raises(MoveRefused, match="^A checked in appointment cannot be set back to"):
        appointment_undo_check_in(appointment=appointment, by=front_desk)

    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN
    assert Attendance.objects.filter(appointment=appointment).exists()


def test_it_marks_a_no_show_once_the_start_has_passed(front_desk):
    appointment = AppointmentFactory(start=at(9), end=at(9, 30))

    with pytest.raises(MoveRefused, match="once the start has passed"):
        appointment_no_show(appointment=appointment, by=front_desk, now=at(8, 59))
    appointment_no_show(appointment=appointment, by=front_desk, now=at(9, 1))

    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW
    assert last_change(appointment).to_status == S.NO_SHOW


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (S.CANCELLED, "check_in"),
        (S.CANCELLED, "no_show"),
        (S.CANCELLED, "cancel"),
        (S.NO_SHOW, "check_in"),
        (S.NO_SHOW, "cancel"),
        (S.COMPLETED, "cancel"),
        (S.COMPLETED, "no_show"),
        (S.COMPLETED, "check_in"),
        (S.CHECKED_IN, "check_in"),
        (S.CHECKED_IN, "no_show"),
        (S.SCHEDULED, "undo_check_in"),
        (S.COMPLETED, "undo_check_in"),
        (S.CANCELLED, "undo_check_in"),
        (S.NO_SHOW, "undo_check_in"),
    ],
)
def test_it_refuses_moves_outside_the_status_rules(front_desk, status, move):
    appointment = today_appointment(status=status)
    later = timezone.now() + datetime.timedelta(hours=2)
    moves = {
        "check_in": lambda: appointment_check_in(appointment=appointment, by=front_desk),
        "no_show": lambda: appointment_no_show(appointment=appointment, by=front_desk, now=later),
        "cancel": lambda: appointment_cancel(appointment=appointment, reason="x", by=front_desk),
        "undo_check_in": lambda: appointment_undo_check_in(appointment=appointment, by=front_desk),
    }

    with pytest.raises(MoveRefused, match=f"A {status.label.lower()} appointment cannot be"):
        moves[move]()

    appointment.refresh_from_db()
    assert appointment.status == status
    assert not AppointmentStatusChange.objects.filter(appointment=appointment).exists()


def test_it_keeps_the_old_time_when_rescheduling(front_desk):
    doctor = doctor_with_hours()
    appointment = AppointmentFactory(doctor=doctor, start=at(9), end=at(10))

    appointment_reschedule(appointment=appointment, start=at(14), by=front_desk)

    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (at(14), at(15))
    change = last_change(appointment)
    assert (change.old_start, change.new_start, change.changed_by) == (at(9), at(14), front_desk)
