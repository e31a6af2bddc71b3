"""Booking takes only a slot the picker offers: a crafted `doctor|start|end` value for a
1-minute visit, or one off the working hours' grid, books nothing and says why."""

import datetime

import pytest
from django.urls import reverse

from appointments.models import Appointment
from appointments.services import SlotUnavailable, appointment_book
from tests.appointments.factories import at, doctor_with_hours
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def crafted(doctor, start, end) -> str:
    return f"{doctor.pk}|{start.isoformat()}|{end.isoformat()}"


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        ((10, 0), (10, 1), "An appointment lasts"),  # one minute
        ((10, 7), (10, 37), "30-minute grid from 09:00"),  # off the grid
        ((10, 0), (10, 50), "An appointment lasts"),  # a length the picker never offers
    ],
)
def test_it_refuses_a_slot_the_picker_never_offers(login, front_desk, start, end, said):
    doctor = doctor_with_hours()
    patient = PatientFactory()

    response = login(front_desk).post(
        reverse("appointments:appointment_book"),
        {
            "patient": patient.pk,
            "doctor": doctor.pk,
            "slot": crafted(doctor, at(*start), at(*end)),
            "action": "book",
        },
    )

    assert response.status_code == 200
    assert said in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_books_the_lengths_the_picker_offers():
    doctor = doctor_with_hours()
    patient = PatientFactory()

    one_slot = appointment_book(patient=patient, doctor=doctor, start=at(9), by=None)
    longer = appointment_book(
        patient=PatientFactory(), doctor=doctor, start=at(10), end=at(10, 45), by=None
    )

    assert one_slot.end - one_slot.start == datetime.timedelta(minutes=30)
    assert longer.end - longer.start == datetime.timedelta(minutes=45)


def test_it_refuses_an_off_grid_time_in_the_service_too():
    doctor = doctor_with_hours(slot_minutes=20)

    with pytest.raises(SlotUnavailable, match="20-minute grid from 09:00"):
        appointment_book(patient=PatientFactory(), doctor=doctor, start=at(9, 30), by=None)
    assert not Appointment.objects.exists()
