"""The day calendar shows a page of doctors at a time, so it is the same size at a hospital of
five doctors or of fifteen hundred."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import DAY_COLUMNS_PER_PAGE, slot_choices
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

PER_PAGE = DAY_COLUMNS_PER_PAGE


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


def staff(count: int, *, name: str = "Column", specialty=None, weekdays=(0,)) -> list:
    """`count` doctors working on `weekdays`, named so that their order is their number."""
    return [
        doctor_with_hours(
            first_name="Ward", last_name=f"{name}{n:02d}", specialty=specialty, weekdays=weekdays
        )
        for n in range(count)
    ]


def day_page(desk, **params) -> str:
    query = urlencode({"day": MONDAY.isoformat(), **params})
    response = desk.get(reverse("appointments:calendar_day") + "?" + query)
    assert response.status_code == 200
    return response.content.decode()


def columns(html: str) -> list[str]:
    """The doctors heading the grid's columns, left to right."""
    header = html.split("<thead", 1)[1].split("</thead>", 1)[0] if "<thead" in html else ""
    return re.findall(r'<a href="[^"]*\?doctor=\d+&amp;week=[^"]*">([^<]+)</a>', header)


def names(doctors) -> list[str]:
    return [str(doctor) for doctor in doctors]


def href(html: str, text: str) -> str:
    """The address of the link whose text is `text` (HTML-escaped, as in the page)."""
    match = re.search(rf'href="([^"]*)">{re.escape(text)}</a>', html)
    assert match, f"no link {text!r}"
    return match.group(1)


def test_it_shows_the_first_page_of_doctors_and_not_the_others(desk):
    doctors = staff(PER_PAGE + 3)

    html = day_page(desk)

    assert columns(html) == names(doctors[:PER_PAGE])
    assert all(doctor.last_name not in html for doctor in doctors[PER_PAGE:])
    assert f"Doctors 1–{PER_PAGE} of {PER_PAGE + 3} (page 1 of 2)" in html
    assert href(html, "Next doctors") == f"?day={MONDAY}&amp;page=2"
    assert "Previous doctors" not in html


def test_it_shows_the_next_doctors_on_the_next_page(desk):
    doctors = staff(PER_PAGE + 3)

    html = day_page(desk, page=2)

    assert columns(html) == names(doctors[PER_PAGE:])
    assert doctors[0].last_name not in html
    assert href(html, "Previous doctors") == f"?day={MONDAY}&amp;page=1"
    assert "Next doctors" not in html


def test_it_shows_only_the_chosen_specialtys_doctors_and_pages_within_it(desk):
    cardiology = SpecialtyFactory(name="Cardiology")
    dermatology = SpecialtyFactory(name="Dermatology")
    cardiologists = staff(PER_PAGE + 1, name="Heart", specialty=cardiology)
    dermatologists = staff(2, name="Skin", specialty=dermatology)

    skin = day_page(desk, specialty=dermatology.pk)
    heart = day_page(desk, specialty=cardiology.pk)

    assert columns(skin) == names(dermatologists)
    assert "Next doctors" not in skin
    assert columns(heart) == names(cardiologists[:PER_PAGE])
    next_page = f"?day={MONDAY}&amp;specialty={cardiology.pk}&amp;page=2"
    assert href(heart, "Next doctors") == next_page
    assert columns(day_page(desk, specialty=cardiology.pk, page=2)) == names(cardiologists[-1:])


def test_it_keeps_the_specialty_and_the_page_from_day_to_day(desk):
    specialty = SpecialtyFactory(name="Cardiology")
    staff(PER_PAGE + 1, specialty=specialty)

    html = day_page(desk, specialty=specialty.pk, page=2)

    assert href(html, "Next day") == f"?day={TUESDAY}&amp;specialty={specialty.pk}&amp;page=2"
    sunday = MONDAY - datetime.timedelta(days=1)
    assert href(html, "Previous day") == f"?day={sunday}&amp;specialty={specialty.pk}&amp;page=2"
    assert href(html, "Today") == f"?specialty={specialty.pk}&amp;page=2"


def test_it_pages_only_the_doctors_working_that_day(desk):
    monday = staff(PER_PAGE + 1, name="Monday")
    staff(5, name="Tuesday", weekdays=(1,))

    html = day_page(desk, page=2)

    assert columns(html) == names(monday[-1:])
    assert f"of {PER_PAGE + 1} (page 2 of 2)" in html


def test_it_keeps_a_column_for_a_doctor_away_that_day_with_a_cancelled_visit(desk):
    away = doctor_with_hours(last_name="Absent", weekdays=(1,))
    working = doctor_with_hours(last_name="Berg")
    AppointmentFactory(
        doctor=away,
        start=at(9),
        end=at(9, 30),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Doctor away",
        patient__last_name="Nyström",
    )

    html = day_page(desk)

    assert columns(html) == [str(away), str(working)]
    assert "Nyström" in html and "Doctor away" in html


def test_it_clamps_a_page_out_of_range_and_reads_a_bad_one_as_the_first(desk):
    doctors = staff(PER_PAGE + 1)

    assert columns(day_page(desk, page=99)) == names(doctors[-1:])
    assert columns(day_page(desk, page="two")) == names(doctors[:PER_PAGE])


def test_it_opens_the_page_holding_a_doctor(desk):
    doctors = staff(PER_PAGE + 2)

    assert columns(day_page(desk, doctor=doctors[-1].pk)) == names(doctors[PER_PAGE:])
    assert columns(day_page(desk, doctor=doctors[-1].pk, page=1)) == names(doctors[:PER_PAGE])


def test_it_shows_a_new_booking_on_the_page_of_its_doctor(desk):
    doctors = staff(PER_PAGE + 2)
    doctor = doctors[-1]
    monday = {"doctors": [doctor], "day_from": MONDAY, "day_to": MONDAY}

    response = desk.post(
        reverse("appointments:appointment_book"),
        {
            "patient": PatientFactory(last_name="Lindqvist").pk,
            "doctor": doctor.pk,
            "slot": next(c.value for c in slot_choices(**monday) if c.start == at(10)),
            "action": "book",
        },
    )

    appointment = Appointment.objects.get(doctor=doctor)
    assert response.status_code == 302
    html = desk.get(response.url).content.decode()
    assert str(doctor) in columns(html)
    assert f'id="appointment-{appointment.pk}"' in html


def test_it_reads_as_many_queries_for_forty_doctors_as_for_five(desk):
    def queries(*, shown: int) -> int:
        day_page(desk)  # the process's caches (content types...) warmed before counting
        with CaptureQueriesContext(connection) as captured:
            html = day_page(desk)
        assert len(columns(html)) == shown
        assert html.count('id="appointment-') == shown
        return len(captured)

    for doctor in staff(5, name="First"):
        AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30))
    five = queries(shown=5)
    for doctor in staff(35, name="Second"):
        AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30))
    forty = queries(shown=PER_PAGE)

    assert forty == five
