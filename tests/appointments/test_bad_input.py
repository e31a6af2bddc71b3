"""A mistyped or hand-edited address on the calendars and the slot picker shows the page with
its default (or a message), never a server error."""

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from doctors.selectors import week_start
from tests.appointments.factories import doctor_with_hours
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "xyz"])
def test_it_shows_today_for_a_day_the_calendar_cannot_page_from(desk, day):
    doctor_with_hours(weekdays=range(7), last_name="Okafor")

    response = desk.get(reverse("appointments:calendar_day") + f"?day={day}")

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert "Okafor" in response.content.decode()


def test_it_ignores_a_doctor_that_is_a_digit_but_not_a_number(desk):
    doctor_with_hours(weekdays=range(7), last_name="Okafor")

    response = desk.get(reverse("appointments:calendar_day") + "?doctor=%C2%B2&page=abc")

    assert response.status_code == 200
    assert "Okafor" in response.content.decode()


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_it_says_a_week_out_of_range_is_invalid(desk, week):
    doctor = doctor_with_hours(last_name="Okafor")

    response = desk.get(reverse("appointments:calendar_week") + f"?doctor={doctor.pk}&week={week}")

    assert response.status_code == 200
    assert response.context["grid"] is None
    assert response.context["form"].errors["week"]


def test_it_offers_slots_from_today_for_a_start_day_out_of_range(desk):
    doctor = doctor_with_hours(weekdays=range(7))

    response = desk.get(
        reverse("appointments:slot_picker") + f"?doctor={doctor.pk}&from_date=9999-12-31",
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert f"{doctor.pk}|" in response.content.decode()


@pytest.mark.parametrize(
    "slot",
    [
        "²|2030-03-04T09:00:00+00:00|2030-03-04T09:30:00+00:00",
        "{doctor}|2030-02-30T09:00:00+00:00|2030-03-04T09:30:00+00:00",
        "{doctor}|9999-12-31T23:00:00+00:00|9999-12-31T23:30:00+00:00",
    ],
)
def test_it_says_a_slot_that_cannot_be_read_is_not_valid(desk, slot):
    doctor = doctor_with_hours(weekdays=range(7))
    patient = PatientFactory()

    response = desk.post(
        reverse("appointments:appointment_book"),
        {"patient": patient.pk, "slot": slot.format(doctor=doctor.pk), "action": "book"},
    )

    assert response.status_code == 200
    assert not Appointment.objects.exists()


def test_it_finds_no_appointment_to_move_for_a_digit_that_is_not_a_number(desk):
    response = desk.get(reverse("appointments:slot_picker") + "?appointment=%C2%B2")

    assert response.status_code == 404


def test_it_shows_the_first_past_visits_for_a_page_that_is_not_a_number(desk):
    patient = PatientFactory()

    response = desk.get(reverse("patients:patient_detail", args=[patient.pk]) + "?past=%C2%B2")

    assert response.status_code == 200


@pytest.mark.parametrize("week", ["2030-02-30", "9999-12-31", "0001-01-01", "xyz"])
def test_it_shows_this_week_of_a_schedule_for_a_week_it_cannot_show(desk, week):
    doctor = doctor_with_hours()

    response = desk.get(reverse("doctors:doctor_schedule", args=[doctor.pk]) + f"?week={week}")

    assert response.status_code == 200
    assert response.context["monday"] == week_start(timezone.localdate())


@pytest.mark.parametrize("on", ["2030-02-30", "9999-12-31", "0001-01-01"])
def test_it_shows_the_timetables_for_any_day_typed(desk, on):
    doctor_with_hours(last_name="Okafor")

    response = desk.get(reverse("doctors:schedule_list") + f"?on={on}")

    assert response.status_code == 200
