"""The check-in queue: a token per check-in numbered per day and queue, "call next" in token
order (or a chosen patient), recall, an undone check-in's token, the rules the database holds."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from appointments.models import AppointmentStatus, QueueTicket
from appointments.queue_services import QueueRefused, queue_call_next, queue_recall
from appointments.selectors import doctor_queue
from appointments.services import (
    appointment_cancel,
    appointment_check_in,
    appointment_undo_check_in,
)
from tests.appointments.queue_helpers import booked_today, checked_in_today
from tests.factories import DoctorFactory

pytestmark = pytest.mark.django_db


def _numbers(doctor) -> list[int]:
    return list(
        QueueTicket.objects.filter(doctor=doctor)
        .order_by("number")
        .values_list("number", flat=True)
    )


def test_it_gives_each_check_in_the_next_token_of_its_doctors_queue():
    smith, jones = DoctorFactory(), DoctorFactory()
    first = checked_in_today(smith, 0)
    other = checked_in_today(jones, 1)
    second = checked_in_today(smith, 2)
    assert [first.queue_ticket.number, second.queue_ticket.number] == [1, 2]
    assert other.queue_ticket.number == 1  # each doctor's queue counts on its own
    assert first.queue_ticket.day == timezone.localdate()


@override_settings(HMS_QUEUE_SCOPE="hospital")
def test_it_numbers_the_whole_hospital_in_one_sequence_when_so_configured():
    smith, jones = DoctorFactory(), DoctorFactory()
    numbers = [
        checked_in_today(d, i).queue_ticket.number for i, d in enumerate([smith, jones, smith])
    ]
    assert numbers == [1, 2, 3]
    assert set(QueueTicket.objects.values_list("queue", flat=True)) == {0}


def test_it_starts_again_at_one_the_next_day():
    doctor = DoctorFactory()
    yesterday = timezone.now() - datetime.timedelta(days=1)
    appointment = booked_today(doctor, 0)
    appointment.start, appointment.end = yesterday, yesterday + datetime.timedelta(minutes=10)
    appointment.save()
    appointment_check_in(appointment=appointment, by=None, now=yesterday)
    today = checked_in_today(doctor, 3)
    assert today.queue_ticket.number == 1


def test_the_database_refuses_a_second_token_with_the_same_number():
    appointment = checked_in_today(DoctorFactory(), 0)
    ticket = appointment.queue_ticket
    other = booked_today(ticket.doctor, 1)
    with pytest.raises(IntegrityError, match="number_unique_per_queue_day"), transaction.atomic():
        QueueTicket.objects.create(
            appointment=other, doctor=ticket.doctor, day=ticket.day, queue=ticket.queue, number=1
        )
    with pytest.raises(IntegrityError, match="one_live_per_appointment"), transaction.atomic():
        QueueTicket.objects.create(
            appointment=appointment,
            doctor=ticket.doctor,
            day=ticket.day,
            queue=ticket.queue,
            number=9,
        )


def test_an_undone_check_in_leaves_its_number_unused_and_a_new_check_in_takes_a_new_one():
    doctor = DoctorFactory()
    mistaken = checked_in_today(doctor, 0)
    checked_in_today(doctor, 1)
    appointment_undo_check_in(appointment=mistaken, by=None)
    ticket = QueueTicket.objects.get(appointment=mistaken)
    assert ticket.withdrawn_at is not None
    assert [t.number for t in doctor_queue(doctor=doctor, day=timezone.localdate()).waiting] == [2]
    again = appointment_check_in(appointment=mistaken, by=None)
    assert again.queue_ticket.number == 3  # 1 is never given to anyone again
    assert _numbers(doctor) == [1, 2, 3]


def test_it_calls_the_lowest_waiting_number_first_and_then_the_next():
    doctor = DoctorFactory()
    # Booked later but checked in first: the token, not the appointment time, gives the order.
    late = checked_in_today(doctor, 5)
    early = checked_in_today(doctor, 1)
    assert queue_call_next(doctor=doctor, by=None).appointment == late
    assert queue_call_next(doctor=doctor, by=None, after=1).appointment == early
    with pytest.raises(QueueRefused, match="Nobody is waiting"):
        queue_call_next(doctor=doctor, by=None, after=2)


def test_a_second_click_on_call_next_calls_nobody_else():
    doctor = DoctorFactory()
    checked_in_today(doctor, 0)
    checked_in_today(doctor, 1)
    queue_call_next(doctor=doctor, by=None, after=0)
    with pytest.raises(QueueRefused, match="Token 1 was called meanwhile"):
        queue_call_next(doctor=doctor, by=None, after=0)  # the page still showed nobody called
    assert QueueTicket.objects.filter(called_at__isnull=False).count() == 1


def test_it_calls_a_chosen_patient_out_of_turn_and_skips_them_later():
    doctor = DoctorFactory()
    first = checked_in_today(doctor, 0)
    urgent = checked_in_today(doctor, 1)
    called = queue_call_next(doctor=doctor, by=None, ticket=urgent.queue_ticket)
    assert called.number == 2
    assert queue_call_next(doctor=doctor, by=None).appointment == first
    with pytest.raises(QueueRefused, match="Token 2 is no longer waiting"):
        queue_call_next(doctor=doctor, by=None, ticket=urgent.queue_ticket)


def test_it_skips_patients_who_left_or_whose_visit_began():
    doctor = DoctorFactory()
    left = checked_in_today(doctor, 0)
    seen = checked_in_today(doctor, 1)
    waiting = checked_in_today(doctor, 2)
    appointment_cancel(appointment=left, reason="Went home", by=None)
    seen.attendance.started_at = timezone.now()
    seen.attendance.save()
    assert queue_call_next(doctor=doctor, by=None).appointment == waiting


def test_a_recall_announces_the_called_token_again_and_keeps_the_first_call_time():
    doctor = DoctorFactory()
    checked_in_today(doctor, 0)
    checked_in_today(doctor, 1)
    start = timezone.now()
    one = queue_call_next(doctor=doctor, by=None, now=start)
    two = queue_call_next(doctor=doctor, by=None, now=start + datetime.timedelta(minutes=1))
    later = start + datetime.timedelta(minutes=2)
    queue_recall(ticket=one, by=None, now=later)
    one.refresh_from_db()
    assert (one.called_at, one.announced_at, one.calls) == (start, later, 2)
    queue = doctor_queue(doctor=doctor, day=timezone.localdate())
    assert queue.called.pk == one.pk  # the recalled token shows as called now
    assert [t.pk for t in queue.others_called] == [two.pk]


def test_a_token_not_called_cannot_be_recalled():
    appointment = checked_in_today(DoctorFactory(), 0)
    with pytest.raises(QueueRefused, match="not called today"):
        queue_recall(ticket=appointment.queue_ticket, by=None)


def test_a_finished_visit_leaves_the_queue():
    doctor = DoctorFactory()
    done = checked_in_today(doctor, 0)
    queue_call_next(doctor=doctor, by=None)
    done.status = AppointmentStatus.COMPLETED
    done.save()
    queue = doctor_queue(doctor=doctor, day=timezone.localdate())
    assert queue.called is None and queue.waiting == []


def test_the_database_keeps_a_token_with_its_appointments_doctor():
    """The doctor who calls a token is its appointment's, for every login (psql included)."""
    appointment = checked_in_today(DoctorFactory(), 0)
    ticket = appointment.queue_ticket
    colleague = DoctorFactory()
    with (
        pytest.raises(IntegrityError, match="is not the doctor of appointment"),
        transaction.atomic(),
    ):
        QueueTicket.objects.filter(pk=ticket.pk).update(doctor=colleague)
    other = booked_today(colleague, 1)
    with (
        pytest.raises(IntegrityError, match="is not the doctor of appointment"),
        transaction.atomic(),
    ):
        QueueTicket.objects.create(
            appointment=other, doctor=ticket.doctor, day=ticket.day, queue=ticket.queue, number=7
        )
    ticket.refresh_from_db()
    assert ticket.doctor == appointment.doctor
