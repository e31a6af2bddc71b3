"""Many desks, one slot: the database lets exactly one booking through, and nobody sees a 500.

Real concurrency: each thread has its own database connection (Django opens one per thread)
and commits, so these tests run with `transaction=True`; the flush after each brings the role
groups back (core's post_migrate handler).
"""

import pytest
from django.test import Client

from appointments.models import Appointment
from appointments.selectors import slot_choices
from appointments.services import SlotUnavailable, appointment_book
from core import roles
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.concurrency import run_concurrently
from tests.factories import PatientFactory, UserFactory

DESKS = 24


@pytest.mark.django_db(transaction=True)
def test_it_books_one_slot_wanted_by_many_desks_exactly_once():
    doctor = doctor_with_hours()
    patients = PatientFactory.create_batch(DESKS)

    results, errors = run_concurrently(
        DESKS,
        lambda i: appointment_book(patient=patients[i], doctor=doctor, start=at(10), by=None),
    )

    assert len(results) == 1
    assert len(errors) == DESKS - 1
    assert all(isinstance(error, SlotUnavailable) for error in errors), errors
    assert Appointment.objects.filter(doctor=doctor).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_tells_every_other_clerk_the_slot_was_taken_and_keeps_their_form():
    doctor = doctor_with_hours()
    patients = PatientFactory.create_batch(DESKS)
    clerks = [UserFactory(username=f"desk{i}", role=roles.FRONT_DESK) for i in range(DESKS)]
    slot = next(
        c
        for c in slot_choices(doctors=[doctor], day_from=MONDAY, day_to=MONDAY)
        if c.start == at(10)
    )

    def post(i):
        client = Client()
        client.force_login(clerks[i])
        response = client.post(
            "/appointments/book/",
            {
                "patient": patients[i].pk,
                "doctor": doctor.pk,
                "slot": slot.value,
                "reason": f"Reason {i}",
                "action": "book",
            },
        )
        return i, response.status_code, response.content.decode()

    results, errors = run_concurrently(DESKS, post)

    assert errors == []
    codes = sorted(code for _, code, _ in results)
    assert codes == [200] * (DESKS - 1) + [302]
    for i, code, html in results:
        if code == 200:
            assert "pick another" in html
            assert f'value="Reason {i}"' in html  # the form is still filled in
    assert Appointment.objects.filter(doctor=doctor).count() == 1
