"""Who gets which front-desk page (DESIGN.md's Roles): every page, every role."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from doctors.models import Doctor
from tests.factories import AppointmentFactory, PatientFactory, TimeOffFactory
from tests.frontdesk.factories import doctor_with_hours

pytestmark = pytest.mark.django_db

ROLES = ["front_desk", "doctor", "billing_clerk", "admin_user", "outsider"]
DESK_ONLY = {
    "front_desk": 200,
    "doctor": 403,
    "billing_clerk": 403,
    "admin_user": 200,
    "outsider": 403,
}
EVERYONE = {
    "front_desk": 200,
    "doctor": 200,
    "billing_clerk": 200,
    "admin_user": 200,
    "outsider": 403,
}
HOURS_VIEW = {
    "front_desk": 200,
    "doctor": 200,
    "billing_clerk": 403,
    "admin_user": 200,
    "outsider": 403,
}


@pytest.fixture
def objects(db):
    doctor = doctor_with_hours()
    appointment = AppointmentFactory(doctor=doctor)
    return {
        "patient": PatientFactory(),
        "doctor": doctor,
        "hours": doctor.working_hours.get(),
        "time_off": TimeOffFactory(doctor=doctor),
        "appointment": appointment,
    }


GET_PAGES = [
    ("patients:patient_list", None, EVERYONE),
    ("patients:patient_detail", "patient", EVERYONE),
    ("patients:patient_create", None, DESK_ONLY),
    ("patients:patient_update", "patient", DESK_ONLY),
    ("patients:patient_deactivate", "patient", DESK_ONLY),
    ("appointments:calendar_day", None, EVERYONE),
    ("appointments:calendar_week", None, EVERYONE),
    ("appointments:arrivals", None, EVERYONE),
    ("appointments:appointment_detail", "appointment", EVERYONE),
    ("appointments:appointment_book", None, {**DESK_ONLY, "front_desk": 302, "admin_user": 302}),
    ("appointments:slot_picker", None, DESK_ONLY),
    ("appointments:appointment_reschedule", "appointment", DESK_ONLY),
    ("appointments:appointment_cancel", "appointment", DESK_ONLY),
    ("doctors:schedule_list", None, HOURS_VIEW),
    ("doctors:doctor_schedule", "doctor", {**HOURS_VIEW, "doctor": 403}),  # not their own
    ("doctors:working_hours_create", "doctor", DESK_ONLY),
    ("doctors:working_hours_edit", "hours", DESK_ONLY),
    ("doctors:working_hours_delete", "hours", DESK_ONLY),
    ("doctors:time_off_create", "doctor", DESK_ONLY),
    ("doctors:time_off_delete", "time_off", DESK_ONLY),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "arg", "expected"), GET_PAGES, ids=[p[0] for p in GET_PAGES])
def test_it_opens_each_page_to_its_roles_only(request, login, objects, role, name, arg, expected):
    client = login(request.getfixturevalue(role))
    url = reverse(name, args=[objects[arg].pk] if arg else [])

    assert client.get(url).status_code == expected[role]


POST_MOVES = [
    ("patients:patient_reactivate", "patient", DESK_ONLY),
    ("appointments:appointment_check_in", "appointment", DESK_ONLY),
    ("appointments:appointment_no_show", "appointment", DESK_ONLY),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "arg", "expected"), POST_MOVES, ids=[p[0] for p in POST_MOVES])
def test_it_lets_only_the_desk_make_moves(request, login, objects, role, name, arg, expected):
    client = login(request.getfixturevalue(role))
    response = client.post(reverse(name, args=[objects[arg].pk]))

    # Allowed moves redirect (with a message when the rules refuse the move itself).
    assert response.status_code == (302 if expected[role] == 200 else 403)


def test_it_refuses_state_changes_by_get(login, front_desk, objects):
    client = login(front_desk)
    url = reverse("appointments:appointment_check_in", args=[objects["appointment"].pk])

    assert client.get(url).status_code == 405


def test_it_shows_a_doctor_their_own_timetable_only(login, doctor, objects):
    own = Doctor.objects.get(user=doctor)
    client = login(doctor)

    assert client.get(reverse("doctors:doctor_schedule", args=[own.pk])).status_code == 200
    listing = client.get(reverse("doctors:schedule_list")).content.decode()
    assert own.last_name in listing and objects["doctor"].last_name not in listing


def test_it_lets_a_doctor_mark_their_own_patient_as_a_no_show(login, doctor):
    own = Doctor.objects.get(user=doctor)
    start = timezone.now() - datetime.timedelta(hours=1)
    appointment = AppointmentFactory(
        doctor=own, start=start, end=start + datetime.timedelta(minutes=30)
    )

    response = login(doctor).post(
        reverse("appointments:appointment_no_show", args=[appointment.pk])
    )

    appointment.refresh_from_db()
    assert response.status_code == 302 and appointment.status == "no_show"


def test_it_hides_booking_buttons_from_roles_that_only_view(login, billing_clerk, objects):
    html = (
        login(billing_clerk)
        .get(reverse("patients:patient_detail", args=[objects["patient"].pk]))
        .content.decode()
    )

    assert "Book an appointment" not in html and "Edit details" not in html
