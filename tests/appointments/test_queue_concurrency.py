"""Many desks checking in at once, two clicks on "call next" at once: the queue's numbers stay
unique and gap-free per queue and day, and nobody is called twice.

Real threads, each with its own connection and commit (`transaction=True`)."""

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from appointments.models import QueueTicket
from appointments.queue_services import QueueRefused, queue_call_next
from appointments.services import appointment_check_in
from tests.appointments.queue_helpers import booked_today, checked_in_today
from tests.concurrency import run_concurrently
from tests.factories import DoctorFactory

DESKS = 16


class Abandoned(Exception):
    """A check-in whose transaction fails after its number was taken."""


def _numbers(**filters) -> list[int]:
    return sorted(QueueTicket.objects.filter(**filters).values_list("number", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_take_numbers_one_to_n_without_gaps_or_repeats():
    doctor = DoctorFactory()
    appointments = [booked_today(doctor, i) for i in range(DESKS)]

    results, errors = run_concurrently(
        DESKS, lambda i: appointment_check_in(appointment=appointments[i], by=None)
    )

    assert errors == []
    assert sorted(a.queue_ticket.number for a in results) == list(range(1, DESKS + 1))
    assert _numbers(doctor=doctor, day=timezone.localdate()) == list(range(1, DESKS + 1))


@pytest.mark.django_db(transaction=True)
def test_a_check_in_that_rolls_back_gives_its_number_back():
    doctor = DoctorFactory()
    appointments = [booked_today(doctor, i) for i in range(DESKS)]

    def check_in(i):
        with transaction.atomic():
            appointment = appointment_check_in(appointment=appointments[i], by=None)
            if i % 2:
                raise Abandoned(appointment.queue_ticket.number)
        return appointment

    results, errors = run_concurrently(DESKS, check_in)

    assert len(errors) == DESKS // 2 and all(isinstance(e, Abandoned) for e in errors)
    # The numbers the abandoned check-ins held were taken again: the committed ones are 1..n.
    assert _numbers(doctor=doctor) == list(range(1, DESKS // 2 + 1))


@pytest.mark.django_db(transaction=True)
@override_settings(HMS_QUEUE_SCOPE="hospital")
def test_the_hospital_wide_queue_stays_gap_free_across_doctors():
    doctors = [DoctorFactory() for _ in range(4)]
    appointments = [booked_today(doctors[i % 4], i // 4) for i in range(DESKS)]

    _, errors = run_concurrently(
        DESKS, lambda i: appointment_check_in(appointment=appointments[i], by=None)
    )

    assert errors == []
    assert _numbers() == list(range(1, DESKS + 1))


@pytest.mark.django_db(transaction=True)
def test_two_clicks_on_call_next_call_one_patient():
    doctor = DoctorFactory()
    for i in range(3):
        checked_in_today(doctor, i)

    results, errors = run_concurrently(
        2, lambda i: queue_call_next(doctor=doctor, by=None, after=0)
    )

    assert [t.number for t in results] == [1]
    assert len(errors) == 1 and isinstance(errors[0], QueueRefused)
    assert "Token 1 was called meanwhile" in str(errors[0])
    assert _numbers(called_at__isnull=False) == [1]


@pytest.mark.django_db(transaction=True)
def test_calls_from_two_screens_at_once_never_take_the_same_patient():
    doctor = DoctorFactory()
    for i in range(4):
        checked_in_today(doctor, i)

    results, errors = run_concurrently(4, lambda i: queue_call_next(doctor=doctor, by=None))

    assert errors == []
    assert sorted(t.number for t in results) == [1, 2, 3, 4]
