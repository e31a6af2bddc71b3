"""The reports' doctor filter (a code or a name, with suggestions as one types) and
appointment-patterns' page of doctors: a hospital of hundreds of doctors draws a page, not
all of them."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from appointments.models import AppointmentStatus
from tests.factories import AppointmentFactory, DoctorFactory
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 4)
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


def _workload(client, **query):
    return client.get(reverse("reports:report_detail", args=["doctor-workload"]), query)


def test_it_finds_a_doctor_by_part_of_the_name_and_links_by_code(login, admin_user):
    ann = DoctorFactory(first_name="Ann", last_name="Ødegaard", code="D0100")
    DoctorFactory(first_name="Bob", last_name="Brown", code="D0200")
    AppointmentFactory(doctor=ann, start=at(DAY, 9), end=at(DAY, 9, 30))
    response = _workload(login(admin_user), doctor="odegaard", **PERIOD)
    assert response.status_code == 200
    assert [row[0] for row in response.context["rows"]] == ["D0100"]
    # What was typed stays in the box; the doctor it stands for is named beside it.
    assert 'value="odegaard"' in response.text
    assert "Ann Ødegaard (D0100)" in response.text
    assert "doctor=D0100" in response.context["csv_query"].urlencode()


def test_it_takes_a_code_whatever_its_case(login, admin_user):
    DoctorFactory(code="D0100")
    DoctorFactory(code="D0200")
    response = _workload(login(admin_user), doctor="d0200", **PERIOD)
    assert [row[0] for row in response.context["rows"]] == ["D0200"]


def test_it_names_the_doctors_a_name_could_mean_and_keeps_what_was_typed(login, admin_user):
    DoctorFactory(first_name="Ann", last_name="Smith", code="D0100")
    DoctorFactory(first_name="Joe", last_name="Smithson", code="D0200")
    response = _workload(login(admin_user), doctor="smith", **PERIOD)
    assert response.status_code == 200
    assert "Several doctors match “smith”: Ann Smith (D0100), Joe Smithson (D0200)" in (
        response.text
    )
    assert 'value="smith"' in response.text
    assert "rows" not in response.context


def test_it_suggests_doctors_as_one_types(login, front_desk):
    DoctorFactory(first_name="José", last_name="Muñoz", code="D0100")
    DoctorFactory(first_name="Bob", last_name="Brown", code="D0200")
    for i in range(25):
        DoctorFactory(last_name=f"Zed{i:02d}")
    client = login(front_desk)
    url = reverse("reports:doctor_options")
    found = client.get(url, {"doctor": "munoz"})
    assert found.status_code == 200
    assert '<option value="D0100">José Muñoz' in found.text
    assert "D0200" not in found.text
    # An empty box lists the first twenty by name, never every doctor.
    assert client.get(url).text.count("<option") == 20


def test_it_suggests_no_doctors_to_a_doctor_whose_reports_are_their_own(login, doctor):
    DoctorFactory(last_name="Brown")
    response = login(doctor).get(reverse("reports:doctor_options"), {"doctor": "brown"})
    assert response.status_code == 200
    assert "<option" not in response.text


def test_the_page_draws_no_list_of_every_doctor(login, admin_user):
    doctors = DoctorFactory.create_batch(30)
    response = _workload(login(admin_user), **PERIOD, size=5)
    # Five doctors in the table; no list of the thirty anywhere else on the page.
    assert sum(d.code in response.text for d in doctors) == 5
    assert 'list="doctor-options"' in response.text


def _book(doctor, count: int, status=AppointmentStatus.COMPLETED):
    for i in range(count):
        AppointmentFactory(
            doctor=doctor, start=at(DAY, 9 + i), end=at(DAY, 9 + i, 30), status=status
        )


def _patterns(client, **query):
    return client.get(
        reverse("reports:report_detail", args=["appointment-patterns"]), {**PERIOD, **query}
    )


def _doctor_rows(rows):
    return [(row[1], row[6]) for row in rows if row[0] == "doctor"]


def test_patterns_shows_a_page_of_doctors_and_the_whole_hospital_on_each(login, admin_user):
    doctors = [DoctorFactory(code=f"D01{i:02d}") for i in range(5)]
    for i, d in enumerate(doctors):
        _book(d, i + 1)
    idle = DoctorFactory(code="D0150")  # active, nothing booked: listed with zeros
    gone = DoctorFactory(code="D0160", is_active=False)  # inactive, nothing booked: not listed
    client = login(admin_user)
    pages, response = [], _patterns(client, size=2)
    while True:
        pages.append(_doctor_rows(response.context["rows"]))
        overall = [row for row in response.context["rows"] if row[0] == "all"]
        assert overall[0][6] == 15  # every page: the whole hospital's bookings
        if not response.context["next_page"]:
            break
        response = client.get(f"{response.request['PATH_INFO']}?{response.context['next_page']}")
    assert pages == [
        [("D0100", 1), ("D0101", 2)],
        [("D0102", 3), ("D0103", 4)],
        [("D0104", 5), (idle.code, 0)],
    ]
    assert gone.code not in str(pages)
    assert "Doctors per page" in response.text


def test_patterns_csv_lists_every_doctor_with_bookings(login, admin_user):
    for i in range(3):
        _book(DoctorFactory(code=f"D01{i:02d}"), 1)
    DoctorFactory(code="D0150")
    response = login(admin_user).get(
        reverse("reports:report_csv", args=["appointment-patterns"]), {**PERIOD, "size": 1}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[1] for row in rows if row[0] == "doctor"] == ["D0100", "D0101", "D0102"]


def test_patterns_page_of_one_doctor_and_a_stale_link(login, admin_user):
    ann, bob = DoctorFactory(code="D0100"), DoctorFactory(code="D0200")
    _book(ann, 2)
    _book(bob, 1, status=AppointmentStatus.NO_SHOW)
    client = login(admin_user)
    mine = _patterns(client, doctor="D0200")
    assert _doctor_rows(mine.context["rows"]) == [("D0200", 1)]
    stale = _patterns(client, after="\x01")
    assert stale.status_code == 200
    assert "That page link is out of date" in stale.text
    assert _doctor_rows(stale.context["rows"]) == [("D0100", 2), ("D0200", 1)]


def test_patterns_shows_a_dash_where_a_doctor_has_no_rates(login, admin_user):
    _book(DoctorFactory(code="D0100", first_name="Ann", last_name="Adams"), 4)
    _book(
        DoctorFactory(code="D0101", first_name="Bob", last_name="Baker"),
        1,
        AppointmentStatus.NO_SHOW,
    )
    DoctorFactory(code="D0150", first_name="Ida", last_name="Idle")  # nothing booked
    text = re.sub(r">\s+<", "><", _patterns(login(admin_user)).text)
    assert (
        'Bob Baker <span class="text-body-secondary">(D0101)</span></td>'
        '<td class="num">1</td><td class="num">0</td><td class="num">0</td>'
        '<td class="num">1</td><td class="num">0.0</td><td class="num">100.0</td>'
    ) in text
    # No bookings: no rates to give, a dash (never the word "None").
    assert (
        'Ida Idle <span class="text-body-secondary">(D0150)</span></td>'
        '<td class="num">0</td><td class="num">0</td><td class="num">0</td>'
        '<td class="num">0</td><td class="num">—</td><td class="num">—</td>'
        '<td class="num">—</td>'
    ) in text
    assert ">None<" not in text
