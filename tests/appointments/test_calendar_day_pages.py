"""The day calendar shows every doctor of the day on one screen (a compact grid beyond
WIDE_COLUMNS doctors, a list per doctor on small screens), in a fixed number of queries; a
free cell books its slot, and the appointment just booked comes back highlighted."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import WIDE_COLUMNS, slot_choices
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


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
    """The doctors heading the grid's columns, left to right (each header's tooltip starts
    with the doctor's full name)."""
    header = html.split("<thead", 1)[1].split("</thead>", 1)[0] if "<thead" in html else ""
    return re.findall(r'<th scope="col" class="calendar-doctor" title="([^"]+?) · ', header)


def listed(html: str) -> list[str]:
    """The doctors of the list mode, top to bottom."""
    return re.findall(r'<h2 class="h6 mb-1" id="list-doctor-\d+">([^<]+?) <span', html)


def names(doctors) -> list[str]:
    return [str(doctor) for doctor in doctors]


def href(html: str, text: str) -> str:
    """The address of the link whose text is `text` (HTML-escaped, as in the page)."""
    match = re.search(rf'href="([^"]*)"[^>]*>{re.escape(text)}</a>', html)
    assert match, f"no link {text!r}"
    return match.group(1)


def test_it_shows_every_doctor_working_that_day_at_once(desk):
    doctors = staff(40)
    staff(3, name="Tuesday", weekdays=(1,))

    html = day_page(desk)

    assert columns(html) == names(doctors)
    assert listed(html) == names(doctors)
    assert "Tuesday" not in html
    assert "Next doctors" not in html and "page=" not in html


def test_it_draws_many_doctors_compact_and_a_few_with_their_names(desk):
    doctors = staff(WIDE_COLUMNS)

    wide = day_page(desk)
    doctor_with_hours(first_name="Ward", last_name="Extra")
    compact = day_page(desk)

    assert "calendar-compact" not in wide
    assert "calendar-compact" in compact
    # A short name on the column, the whole of it in the tooltip and for screen readers.
    first = doctors[0]
    assert f'title="{first} · {first.specialty} · {first.code}"' in compact
    assert f'<span class="cal-short" aria-hidden="true">W. {first.last_name}</span>' in compact
    assert f'<span class="cal-full">{first} <span class="cal-specialty">' in compact


def test_it_shows_only_the_chosen_specialtys_doctors(desk):
    cardiology = SpecialtyFactory(name="Cardiology")
    dermatology = SpecialtyFactory(name="Dermatology")
    cardiologists = staff(WIDE_COLUMNS + 1, name="Heart", specialty=cardiology)
    dermatologists = staff(2, name="Skin", specialty=dermatology)

    skin = day_page(desk, specialty=dermatology.pk)
    heart = day_page(desk, specialty=cardiology.pk)

    assert columns(skin) == names(dermatologists)
    assert f'<option value="{dermatology.pk}" selected>Dermatology</option>' in skin
    assert columns(heart) == names(cardiologists)


def test_it_keeps_the_specialty_and_the_view_from_day_to_day(desk):
    specialty = SpecialtyFactory(name="Cardiology")
    staff(2, specialty=specialty)

    html = day_page(desk, specialty=specialty.pk, view="list")

    assert href(html, "Next day") == f"?day={TUESDAY}&amp;specialty={specialty.pk}&amp;view=list"
    sunday = MONDAY - datetime.timedelta(days=1)
    assert href(html, "Previous day") == f"?day={sunday}&amp;specialty={specialty.pk}&amp;view=list"
    assert href(html, "Today") == f"?specialty={specialty.pk}&amp;view=list"
    assert href(html, "Grid") == f"?day={MONDAY}&amp;specialty={specialty.pk}&amp;view=grid"
    assert '<input type="hidden" name="view" value="list">' in html  # the filters keep it


def test_it_gives_the_keyboard_shortcuts_their_links(desk):
    staff(1)

    html = day_page(desk)

    assert re.search(r'href="\?day=2030-03-03"[^>]*data-shortcut="previous-day"', html)
    assert re.search(r'href="\?day=2030-03-05"[^>]*data-shortcut="next-day"', html)
    book = reverse("appointments:appointment_book")
    assert f'href="{book}?from_date=2030-03-04" data-shortcut="new-booking"' in html


def test_it_shows_the_list_alone_or_the_grid_alone_when_asked(desk):
    doctor = doctor_with_hours(last_name="Okafor")
    AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30), patient__last_name="Lund")

    as_list = day_page(desk, view="list")
    as_grid = day_page(desk, view="grid")

    assert 'data-testid="calendar"' not in as_list
    assert listed(as_list) == [str(doctor)]
    assert "Lund" in as_list and ">09:30<span" in as_list  # a free slot, to book
    assert 'data-testid="calendar-list"' not in as_grid
    assert columns(as_grid) == [str(doctor)]


def test_it_lists_time_away_as_one_span(desk):
    doctor = doctor_with_hours(last_name="Okafor")
    TimeOffFactory(doctor=doctor, start=at(12), end=at(13, 30))

    html = day_page(desk, view="list")

    assert "Away 12:00–13:30" in html


def test_it_links_a_free_cell_to_booking_that_slot(desk):
    doctor = doctor_with_hours(last_name="Okafor")

    html = day_page(desk, view="grid")

    book = reverse("appointments:appointment_book")
    link = f"{book}?doctor={doctor.pk}&amp;from_date={MONDAY}&amp;time=10:30"
    assert f'href="{link}" title="Book {doctor} at 10:30"' in html


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


def test_it_brings_back_a_new_booking_highlighted_with_its_message(desk):
    doctors = staff(30)
    doctor = doctors[-1]
    monday = {"doctors": [doctor], "day_from": MONDAY, "day_to": MONDAY}

    response = desk.post(
        reverse("appointments:appointment_book"),
        {
            "patient": PatientFactory(first_name="Lina", last_name="Lindqvist").pk,
            "doctor": doctor.pk,
            "slot": next(c.value for c in slot_choices(**monday) if c.start == at(10)),
            "action": "book",
        },
    )

    appointment = Appointment.objects.get(doctor=doctor)
    assert response.status_code == 302
    assert response.url == (
        reverse("appointments:calendar_day") + f"?day={MONDAY}&highlight={appointment.pk}"
    )
    html = desk.get(response.url).content.decode()
    assert str(doctor) in columns(html)
    cell = re.search(rf'<td [^>]*id="appointment-{appointment.pk}"[^>]*>', html).group(0)
    assert "cal-highlight" in cell and "data-highlight" in cell
    assert html.count("data-highlight") == 2  # the grid's cell and the list's line
    assert html.count("Just booked") == 2
    assert "Booked Lina Lindqvist with " in html


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
    forty = queries(shown=40)

    assert forty == five
