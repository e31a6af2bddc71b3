"""Pages read a fixed number of queries however many rows they show."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from tests.appointments.factories import MONDAY, at, bulk_patients, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

# Session, user, the role groups and permissions of the navigation: the same on every page.
BASE = 8


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


@pytest.fixture
def busy_day(db):
    """12 doctors, each fully booked on MONDAY (16 half-hour visits), one away for an hour."""
    specialty = SpecialtyFactory(name="Family Medicine")
    patients = bulk_patients(16 * 12, prefix="Q")
    doctors = [doctor_with_hours(weekdays=range(7), specialty=specialty) for _ in range(12)]
    n = 0
    for doctor in doctors:
        for cell in range(16):
            start = at(9) + datetime.timedelta(minutes=30 * cell)
            AppointmentFactory(
                doctor=doctor,
                patient=patients[n],
                start=start,
                end=start + datetime.timedelta(minutes=30),
                status=AppointmentStatus.CANCELLED if cell == 3 else AppointmentStatus.SCHEDULED,
            )
            n += 1
    return doctors


def test_it_searches_many_patients_in_a_fixed_number_of_queries(
    desk, django_assert_max_num_queries
):
    for n in range(120):
        PatientFactory(first_name=f"Ann{n}", last_name="Holmqvist")

    with django_assert_max_num_queries(BASE + 1):
        response = desk.get(reverse("patients:patient_list") + "?q=holmqvist")

    assert response.status_code == 200
    assert response.content.decode().count("Holmqvist, Ann") == 25


def test_it_shows_a_patient_with_many_appointments_in_a_fixed_number_of_queries(
    desk, django_assert_max_num_queries
):
    patient = PatientFactory()
    doctor = doctor_with_hours(weekdays=range(7))
    for day in range(60):
        for year in (2024, 2031):
            start = timezone.make_aware(
                datetime.datetime(year, 1, 1, 9) + datetime.timedelta(days=day)
            )
            AppointmentFactory(
                patient=patient,
                doctor=doctor,
                start=start,
                end=start + datetime.timedelta(minutes=30),
            )

    with django_assert_max_num_queries(BASE + 4):
        response = desk.get(reverse("patients:patient_detail", args=[patient.pk]))

    assert response.status_code == 200
    assert "Showing the next 20" in response.content.decode()


def test_it_draws_a_full_day_calendar_in_a_fixed_number_of_queries(
    desk, busy_day, django_assert_max_num_queries
):
    # Specialties of the filter, the day's doctors, hours, time off, appointments: however
    # many doctors (every one of the day is shown, no pages of them).
    with django_assert_max_num_queries(BASE + 5):
        response = desk.get(reverse("appointments:calendar_day") + f"?day={MONDAY}")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="appointment-') == 12 * 15


def test_it_draws_a_doctors_week_in_a_fixed_number_of_queries(
    desk, busy_day, django_assert_max_num_queries
):
    doctor = busy_day[0]
    with django_assert_max_num_queries(BASE + 5):
        response = desk.get(
            reverse("appointments:calendar_week") + f"?doctor={doctor.pk}&week={MONDAY}"
        )

    assert response.status_code == 200


def test_it_lists_todays_arrivals_in_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    doctor = doctor_with_hours()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    for n in range(48):
        start = midnight + datetime.timedelta(minutes=30 * n)
        AppointmentFactory(doctor=doctor, start=start, end=start + datetime.timedelta(minutes=30))

    with django_assert_max_num_queries(BASE + 1):
        response = desk.get(reverse("appointments:arrivals"))

    assert response.status_code == 200
    assert response.content.decode().count("Check in<span") == 48


def test_it_offers_a_specialtys_slots_in_a_fixed_number_of_queries(
    desk, busy_day, django_assert_max_num_queries
):
    specialty = busy_day[0].specialty
    with django_assert_max_num_queries(BASE + 5):
        response = desk.get(
            reverse("appointments:slot_picker") + f"?specialty={specialty.pk}&from_date={MONDAY}"
        )

    assert response.status_code == 200


def test_it_shows_every_doctors_hours_in_a_fixed_number_of_queries(
    desk, busy_day, django_assert_max_num_queries
):
    with django_assert_max_num_queries(BASE + 3):
        response = desk.get(reverse("doctors:schedule_list"))

    assert response.status_code == 200
    assert response.content.decode().count("09:00–17:00") == 12 * 7
