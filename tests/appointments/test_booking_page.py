"""Booking in three clicks: a free calendar cell opens the booking page with its doctor, day
and time chosen; the patient is searched for on the page as one types and picked from a short
list; then one confirmation. Without JavaScript the same page works by plain submissions."""

import datetime
import re

import pytest
from django.urls import reverse

from appointments.models import Appointment
from appointments.selectors import slot_choices
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

BOOK = "appointments:appointment_book"
PATIENT = "appointments:booking_patient"


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


def value_of(start, doctor) -> str:
    day = start.date()
    choices = slot_choices(doctors=[doctor], day_from=day, day_to=day)
    return next(c.value for c in choices if c.start == start)


def from_cell(desk, doctor, time: str, **more) -> str:
    """The booking page as a free calendar cell opens it."""
    query = f"?doctor={doctor.pk}&from_date={MONDAY}&time={time}"
    query += "".join(f"&{key}={value}" for key, value in more.items())
    response = desk.get(reverse(BOOK) + query)
    assert response.status_code == 200
    return response.content.decode()


def checked(html: str) -> list[str]:
    return re.findall(r'name="slot" [^>]*value="([^"]+)"[^>]*checked>', html)


def test_it_opens_from_a_free_cell_with_that_slot_chosen_asking_only_for_the_patient(desk):
    doctor = doctor_with_hours(first_name="Grace", last_name="Hopper")

    html = from_cell(desk, doctor, "10:30")

    assert checked(html) == [value_of(at(10, 30), doctor)]
    summary = re.search(r'data-testid="booking-slot">([^<]+)<', html).group(1)
    assert summary == "Dr Grace Hopper · Monday 4 March · 10:30–11:00"
    assert '<details class="booking-when card mb-3">' in html  # folded: nothing to choose
    assert re.search(r'id="patient-search"[^>]*autofocus', html, re.S)
    assert "data-guard-unsaved" in html


def test_it_chooses_the_slot_under_a_cell_when_the_doctors_slots_are_longer(desk):
    doctor = doctor_with_hours(slot_minutes=60)

    html = from_cell(desk, doctor, "10:30")

    assert checked(html) == [value_of(at(10), doctor)]


def test_it_opens_the_choice_when_the_cells_slot_was_taken_meanwhile(desk):
    doctor = doctor_with_hours()
    AppointmentFactory(doctor=doctor, start=at(10, 30), end=at(11))

    html = from_cell(desk, doctor, "10:30")

    assert checked(html) == []
    assert '<details class="booking-when card mb-3" open>' in html


def test_it_focuses_the_confirmation_once_patient_and_slot_are_chosen(desk):
    doctor = doctor_with_hours()
    patient = PatientFactory(first_name="Ada", last_name="Byron")

    html = from_cell(desk, doctor, "10:30", patient=patient.pk)

    assert 'data-testid="booking-patient"' in html and "Ada Byron" in html
    assert 'id="patient-search"' not in html
    assert re.search(r'id="book-button"[^>]*autofocus>', html)


def test_it_suggests_a_few_active_patients_as_one_types(desk, django_assert_max_num_queries):
    for n in range(12):
        PatientFactory(first_name=f"Ann{n:02d}", last_name="Holmqvist")
    PatientFactory(first_name="Gone", last_name="Holmqvist", is_active=False)

    with django_assert_max_num_queries(8 + 1):
        response = desk.get(reverse(PATIENT) + "?q=holmqv", headers={"HX-Request": "true"})

    html = response.content.decode()
    buttons = re.findall(r"<button [^>]*data-patient-suggestion", html)
    assert len(buttons) == 8
    assert "Gone" not in html
    first = re.search(r'name="patient" value="(\d+)"', html).group(1)
    assert f'hx-get="{reverse(PATIENT)}?patient={first}"' in html


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("ho", "Type at least three letters"),
        ("zzzqqq", "No active patient matches <strong>zzzqqq</strong>"),
    ],
)
def test_it_says_why_there_is_no_suggestion(desk, query, says):
    PatientFactory(last_name="Holmqvist")

    html = desk.get(reverse(PATIENT) + f"?q={query}").content.decode()

    assert says in html
    assert "data-patient-suggestion" not in html


def test_it_gives_the_picked_patients_card_and_asks_again_on_change(desk):
    patient = PatientFactory(first_name="Ada", last_name="Byron")

    picked = desk.get(reverse(PATIENT) + f"?patient={patient.pk}").content.decode()
    again = desk.get(reverse(PATIENT) + "?patient=").content.decode()

    assert f'<input type="hidden" name="patient" value="{patient.pk}">' in picked
    assert "Ada Byron" in picked and patient.mrn in picked
    assert 'id="patient-search"' in again and 'name="patient"' not in again


def test_it_refuses_to_pick_a_deactivated_or_unknown_patient(desk):
    gone = PatientFactory(is_active=False)

    assert desk.get(reverse(PATIENT) + f"?patient={gone.pk}").status_code == 404
    assert desk.get(reverse(PATIENT) + "?patient=99999999").status_code == 404
    assert desk.get(reverse(PATIENT) + "?patient=%C2%B2").status_code == 404


def test_it_picks_a_patient_without_javascript_keeping_the_slot_and_reason(desk):
    doctor = doctor_with_hours()
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    slot = value_of(at(10, 30), doctor)

    # A suggestion is a submit button named "patient": the form goes with the choices made.
    response = desk.post(
        reverse(BOOK),
        {"doctor": doctor.pk, "from_date": MONDAY, "slot": slot, "reason": "Cough", "q": "byr"},
    )
    suggested = response.content.decode()
    response = desk.post(
        reverse(BOOK),
        {"patient": patient.pk, "doctor": doctor.pk, "from_date": MONDAY, "slot": slot},
    )
    picked = response.content.decode()

    assert f'name="patient" value="{patient.pk}"' in suggested  # the Enter key searched
    assert 'value="Cough"' in suggested and checked(suggested) == [slot]
    assert 'data-testid="booking-patient"' in picked and checked(picked) == [slot]
    assert not Appointment.objects.exists()


def test_it_asks_for_the_patient_when_booking_without_one_keeping_the_rest(desk):
    doctor = doctor_with_hours()
    slot = value_of(at(10, 30), doctor)

    response = desk.post(
        reverse(BOOK),
        {
            "doctor": doctor.pk,
            "from_date": MONDAY,
            "slot": slot,
            "reason": "Keep me",
            "action": "book",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose the patient to book for." in html
    assert 'value="Keep me"' in html and checked(html) == [slot]
    assert "data-guard-changed" in html  # leaving now would lose what was chosen
    assert not Appointment.objects.exists()


def test_it_books_the_cells_slot_for_the_picked_patient(desk, front_desk):
    doctor = doctor_with_hours()
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    html = from_cell(desk, doctor, "10:30", patient=patient.pk)

    response = desk.post(
        reverse(BOOK),
        {
            "patient": patient.pk,
            "doctor": doctor.pk,
            "from_date": MONDAY,
            "time": "10:30",
            "slot": checked(html)[0],
            "action": "book",
        },
    )

    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.doctor, appointment.start) == (
        patient,
        doctor,
        at(10, 30),
    )
    assert appointment.end - appointment.start == datetime.timedelta(minutes=30)
    assert appointment.booked_by == front_desk
    assert response.url.endswith(f"&highlight={appointment.pk}")
