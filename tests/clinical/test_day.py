"""The doctor's day: today's appointments in order, who is waiting, one click onwards."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from core import roles
from tests.clinical.factories import checked_in_visit, today_at
from tests.factories import AppointmentFactory, AttendanceFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_lists_todays_appointments_in_order_with_their_state(login, doctor):
    me = doctor.doctor
    later = AppointmentFactory(doctor=me, start=today_at(11), reason="Later")
    waiting = checked_in_visit(doctor=me, start=today_at(10))
    done = AttendanceFactory(
        appointment__doctor=me,
        appointment__start=today_at(8),
        started_at=today_at(8),
        completed_at=today_at(8, 20),
    )
    AppointmentFactory(doctor=me, start=today_at(9, days=1))  # tomorrow
    response = login(doctor).get("/")
    assert "<h1>My day</h1>" in response.text
    rows = response.context["rows"]
    assert [r.appointment for r in rows] == [done.appointment, waiting.appointment, later]
    assert [r.state for r in rows] == ["done", "waiting", "scheduled"]
    assert [r.appointment for r in response.context["waiting"]] == [waiting.appointment]
    assert "Checked in and waiting" in response.text
    assert reverse("clinical:visit_start", args=[waiting.appointment.pk]) in response.text
    assert reverse("clinical:chart", args=[later.patient.pk]) in response.text


def test_it_offers_the_start_button_only_on_the_doctors_own_appointments(
    login, doctor, other_doctor
):
    theirs = checked_in_visit(doctor=other_doctor.doctor, start=today_at(10))
    url = reverse("clinical:doctor_day") + f"?doctor={other_doctor.doctor.pk}"
    response = login(doctor).get(url)
    assert response.status_code == 200
    assert f"<h1>{other_doctor.doctor}'s day</h1>" in response.text
    assert reverse("clinical:visit_start", args=[theirs.appointment.pk]) not in response.text
    assert reverse("clinical:chart", args=[theirs.patient.pk]) in response.text


def test_it_moves_to_yesterday_and_tomorrow(login, doctor):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    appointment = AppointmentFactory(doctor=doctor.doctor, start=today_at(9, days=1))
    client = login(doctor)
    today = client.get(reverse("clinical:doctor_day"))
    assert f"?day={tomorrow:%Y-%m-%d}" in today.text
    response = client.get(reverse("clinical:doctor_day"), {"day": f"{tomorrow:%Y-%m-%d}"})
    assert [r.appointment for r in response.context["rows"]] == [appointment]
    yesterday = tomorrow - datetime.timedelta(days=2)
    assert f"?day={timezone.localdate():%Y-%m-%d}" in response.text
    assert f"?day={tomorrow + datetime.timedelta(days=1):%Y-%m-%d}" in response.text
    assert f"?day={yesterday:%Y-%m-%d}" in today.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_it_shows_today_with_a_message_for_a_day_out_of_range(login, doctor, day):
    response = login(doctor).get(reverse("clinical:doctor_day"), {"day": day})

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert "Enter a date from 1900 to 2999." in response.text


def test_it_reads_a_full_day_in_a_fixed_number_of_queries(
    login, doctor, django_assert_max_num_queries
):
    for n in range(24):
        start = today_at(8) + datetime.timedelta(minutes=30 * n)
        if n % 2:
            checked_in_visit(doctor=doctor.doctor, patient=PatientFactory(), start=start)
        else:
            AppointmentFactory(
                doctor=doctor.doctor,
                start=start,
                status=AppointmentStatus.SCHEDULED,
                end=start + datetime.timedelta(minutes=30),
            )
    client = login(doctor)
    client.get("/")
    # Session, user, role, permissions (5), the session's second-factor device (1, django-otp);
    # the doctor, the day's appointments with patient, visit and doctor, the doctor picker (3);
    # the session's save (3). None per row.
    with django_assert_max_num_queries(12):
        response = client.get("/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 24


def test_it_tells_a_doctor_without_a_profile_to_ask_for_one(login):
    user = UserFactory(username="newdoctor", role=roles.DOCTOR)
    response = login(user).get("/")
    assert response.status_code == 200
    assert "<h1>My day</h1>" in response.text
    assert "not linked to a doctor profile" in response.text
    assert response.context["appointments"] == []
