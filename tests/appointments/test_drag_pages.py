"""An appointment dropped on a free cell of the day calendar (appointments/drag_pages.py): moved
through the reschedule service to a slot the availability engine offers, or refused with a
message and nothing moved; who may drag, and the cells the day calendar offers for it."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from appointments.models import Appointment, AppointmentStatusChange
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


@pytest.fixture
def hopper():
    return doctor_with_hours(first_name="Grace", last_name="Hopper")


@pytest.fixture
def turing():
    return doctor_with_hours(
        first_name="Alan", last_name="Turing", specialty=SpecialtyFactory(name="Neurology")
    )


@pytest.fixture
def booked(hopper):
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    return AppointmentFactory(doctor=hopper, patient=patient, start=at(9), end=at(9, 30))


def drop(client, appointment, doctor, time: str, day=MONDAY):
    data = {"appointment": appointment.pk, "doctor": doctor.pk, "day": day.isoformat()}
    return client.post(reverse("appointments:appointment_move"), {**data, "time": time})


def calendar(**query) -> str:
    return f"{reverse('appointments:calendar_day')}?{urlencode(query)}"


def where(appointment) -> tuple:
    moved = Appointment.objects.get(pk=appointment.pk)
    return moved.doctor_id, moved.start, moved.end


def test_it_moves_a_dropped_appointment_to_the_other_doctor_and_highlights_it(
    desk, front_desk, booked, turing
):
    response = drop(desk, booked, turing, "10:30")

    assert response.status_code == 302
    assert response.url == calendar(day=MONDAY.isoformat(), highlight=booked.pk, moved=1)
    assert where(booked) == (turing.pk, at(10, 30), at(11))
    change = AppointmentStatusChange.objects.get(appointment=booked, note__startswith="Resch")
    assert change.note == "Rescheduled from Dr Grace Hopper to Dr Alan Turing"
    assert change.changed_by == front_desk
    page = desk.get(response.url).content.decode()
    assert "Moved Ada Byron to Monday 04 March at 10:30 with Dr Alan Turing." in page
    assert 'class="cal-appt cal-scheduled cal-highlight" data-highlight' in page
    assert "Just moved" in page


def test_it_moves_to_the_slot_under_a_dropped_time_inside_it(desk, booked, turing):
    # Turing's slots are 30 minutes from 09:00; a cell of 10:15 lies inside his 10:00 slot,
    # which a free cell's booking link would pick too.
    response = drop(desk, booked, turing, "10:15")

    assert response.status_code == 302
    assert where(booked) == (turing.pk, at(10), at(10, 30))


def test_it_refuses_a_taken_slot_and_moves_nothing(desk, booked, hopper, turing):
    AppointmentFactory(doctor=turing, start=at(10, 30), end=at(11))  # since the page was shown

    response = drop(desk, booked, turing, "10:30")

    assert response.status_code == 302
    assert response.url == calendar(day=MONDAY.isoformat())
    assert where(booked) == (hopper.pk, at(9), at(9, 30))
    page = desk.get(response.url).content.decode()
    assert (
        "Nothing was moved: Dr Alan Turing has no free 30-minute slot at 10:30 on Monday 04 March."
        in page
    )


def test_it_refuses_a_time_the_engine_does_not_offer(desk, booked, hopper, turing):
    # 12:45 is no slot's start, and the slot under it (12:30) is taken; 17:00 is after hours.
    AppointmentFactory(doctor=turing, start=at(12, 30), end=at(13))
    TimeOffFactory(doctor=turing, start=at(14), end=at(15), reason="Meeting")

    for time in ("12:45", "17:00", "14:00"):
        response = drop(desk, booked, turing, time)
        page = desk.get(response.url).content.decode()
        assert f"Dr Alan Turing has no free 30-minute slot at {time} on Monday" in page

    assert where(booked) == (hopper.pk, at(9), at(9, 30))
    assert not AppointmentStatusChange.objects.filter(
        appointment=booked, note__startswith="Resch"
    ).exists()


def test_it_says_why_when_the_service_refuses_the_move(desk, booked, hopper, turing):
    # Free for Turing, but Ada Byron is with another doctor then: the service's own check.
    other = doctor_with_hours(first_name="Ken", last_name="Thompson")
    AppointmentFactory(doctor=other, patient=booked.patient, start=at(11), end=at(11, 30))

    response = drop(desk, booked, turing, "11:00")

    assert where(booked) == (hopper.pk, at(9), at(9, 30))
    page = desk.get(response.url).content.decode()
    assert "Nothing was moved: " in page
    assert "11:00" in page.split("Nothing was moved: ", 1)[1].split("<", 1)[0]


def test_it_answers_nonsense_with_a_message_not_an_error(desk, booked, hopper, turing):
    url = reverse("appointments:appointment_move")
    for data in (
        {"doctor": "abc", "day": MONDAY.isoformat(), "time": "10:00"},
        {"doctor": turing.pk, "day": "2030-02-30", "time": "10:00"},
        {"doctor": turing.pk, "day": MONDAY.isoformat(), "time": "25:61"},
        {},
    ):
        response = desk.post(url, {"appointment": booked.pk, **data})
        assert response.status_code == 302
        page = desk.get(response.url).content.decode()
        assert "Nothing was moved: that is not a free cell of the calendar." in page
    assert where(booked) == (hopper.pk, at(9), at(9, 30))
    for appointment in ("", "abc", "99999999", "-1"):
        assert desk.post(url, {"appointment": appointment}).status_code == 404


def test_a_role_without_reschedule_rights_gets_403_and_nothing_moves(
    login, doctor, billing_clerk, booked, hopper, turing
):
    for user in (doctor, billing_clerk):
        assert drop(login(user), booked, turing, "10:30").status_code == 403
    assert where(booked) == (hopper.pk, at(9), at(9, 30))


def test_a_get_is_refused_by_method(desk, booked):
    url = reverse("appointments:appointment_move")
    assert desk.get(url, {"appointment": booked.pk, "time": "10:30"}).status_code == 405


def test_the_desk_may_drag_scheduled_appointments_onto_free_cells(desk, booked, turing):
    AppointmentFactory(doctor=turing, start=at(9), end=at(9, 30), status="checked_in")

    html = desk.get(calendar(day=MONDAY.isoformat())).content.decode()

    assert html.count('draggable="true"') == 1  # the scheduled one; not the checked-in one
    assert f'data-move="{booked.pk}" data-move-what="Byron, Ada (09:00 with Dr Grace Hopper)"' in (
        html
    )
    assert (
        f'data-drop-doctor="{turing.pk}" data-drop-day="{MONDAY}" data-drop-time="10:30" '
        'data-drop-name="Dr Alan Turing"' in html
    )
    assert "data-move-form" in html and "csrfmiddlewaretoken" in html
    # Without dragging: the appointment's link, to its page and its Reschedule button.
    detail = reverse("appointments:appointment_detail", args=[booked.pk])
    assert f'<a href="{detail}">' in html


def test_a_role_that_may_not_move_gets_no_drag_and_drop(login, doctor, booked):
    response = login(doctor).get(calendar(day=MONDAY.isoformat()))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Byron, Ada" in page  # sees the appointment, cannot drag it
    assert 'draggable="true"' not in page
    assert "data-drop-time" not in page
    assert "data-move-form" not in page
