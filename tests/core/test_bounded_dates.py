"""Dates everywhere lie from 1900 to 2999: a report to 9999-12-31 or time off from year 1 to
9999 is refused with a message instead of a server error or a stored absurdity."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from doctors.models import TimeOff
from doctors.services import time_off_create
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["?to=9999-12-31", "?from=0001-01-01", "?from=9999-12-31"])
def test_it_answers_a_report_far_out_of_range_with_a_message(login, admin_user, query):
    response = login(admin_user).get(reverse("reports:report_detail", args=["revenue"]) + query)

    assert response.status_code == 200
    assert "Enter a date from 1900 to 2999." in response.content.decode()


def test_it_refuses_time_off_from_year_1_to_9999(login, front_desk):
    doctor = DoctorFactory()

    response = login(front_desk).post(
        reverse("doctors:time_off_create", args=[doctor.pk]),
        {"start": "0001-01-01T10:00", "end": "9999-12-31T10:00", "reason": "Typo"},
    )

    assert response.status_code == 200
    assert "Enter a date from 1900 to 2999." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_it_refuses_time_off_longer_than_a_year(login, front_desk):
    doctor = DoctorFactory()

    response = login(front_desk).post(
        reverse("doctors:time_off_create", args=[doctor.pk]),
        {"start": "2030-01-01T09:00", "end": "2031-06-01T09:00"},
    )

    assert "Time off lasts at most a year" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_it_keeps_a_year_of_time_off_out_of_the_database_too():
    start = timezone.make_aware(datetime.datetime(2030, 1, 1, 9))

    with pytest.raises(ValidationError, match="at most a year"):
        time_off_create(
            doctor=DoctorFactory(), start=start, end=start + datetime.timedelta(days=400), by=None
        )
    assert not TimeOff.objects.exists()


def test_it_refuses_a_birth_date_in_year_1_on_the_model_too():
    patient = PatientFactory.build(date_of_birth=datetime.date(1, 1, 1))

    with pytest.raises(ValidationError) as caught:
        patient.full_clean(exclude=["mrn"])

    assert caught.value.message_dict["date_of_birth"] == ["Enter a date from 1900 to 2999."]


def test_it_refuses_hours_shorter_than_one_slot(login, front_desk):
    doctor = DoctorFactory()

    response = login(front_desk).post(
        reverse("doctors:working_hours_create", args=[doctor.pk]),
        {
            "weekday": "0",
            "start_time": "09:00",
            "end_time": "09:10",
            "slot_minutes": "30",
            "valid_from": "2030-01-01",
        },
    )

    assert "The hours are shorter than one 30-minute slot." in response.content.decode()
    assert not doctor.working_hours.exists()


def test_it_refuses_a_report_command_to_9999_with_a_message():
    with pytest.raises(CommandError, match="Enter a date from 1900 to 2999."):
        call_command("report", "revenue", "--to", "9999-12-31")
