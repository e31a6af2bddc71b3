"""The day list to print and its CSV: every doctor's day for the desk, one doctor's with
`?doctor=CODE`, a doctor's own only; the same rows on paper and in the spreadsheet."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import AppointmentStatus
from core.models import AuditEvent
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

PAGE = "appointments:day_list"
CSV = "appointments:day_list_csv"
HEADER = [
    "date",
    "start",
    "end",
    "doctor_code",
    "doctor",
    "specialty",
    "mrn",
    "patient",
    "date_of_birth",
    "phone",
    "reason",
    "status",
]


def get(client, name: str, **params):
    query = "&".join(f"{key}={value}" for key, value in {"day": MONDAY, **params}.items())
    return client.get(reverse(name) + "?" + query)


def sections(html: str) -> list[str]:
    """The doctors of the list, in order."""
    return re.findall(r'<h2 class="h5 mb-0" id="day-list-\d+">([^<]+?) <span', html)


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def monday(db):
    """Two cardiologists at work on MONDAY, a dermatologist too; Berg has two visits (one of
    them cancelled), Aalto one; Crane is away that day."""
    heart = SpecialtyFactory(name="Cardiology")
    aalto = doctor_with_hours(first_name="Anna", last_name="Aalto", specialty=heart, code="D0001")
    berg = doctor_with_hours(first_name="Bo", last_name="Berg", specialty=heart, code="D0002")
    skin = SpecialtyFactory(name="Dermatology")
    doctor_with_hours(first_name="Cy", last_name="Dahl", specialty=skin, code="D0004")
    doctor_with_hours(first_name="Al", last_name="Crane", weekdays=(1,), code="D0003")
    lind = PatientFactory(
        mrn="P0000101",
        first_name="Lina",
        last_name="Lindqvist",
        date_of_birth="1980-02-03",
        phone="+46 8 123 456",
    )
    AppointmentFactory(doctor=berg, patient=lind, start=at(10), end=at(10, 30), reason="Cough")
    AppointmentFactory(
        doctor=berg,
        patient=PatientFactory(
            mrn="P0000102", first_name="Olof", last_name="Nord", date_of_birth=None, phone=""
        ),
        start=at(9),
        end=at(9, 30),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Called",
    )
    AppointmentFactory(
        doctor=aalto,
        patient=PatientFactory(
            mrn="P0000103",
            first_name="Eva",
            last_name="=HYPERLINK(1)",
            date_of_birth="1955-06-07",
            phone="555-0100",
        ),
        start=at(11),
        end=at(12),
        reason="",
        status=AppointmentStatus.CHECKED_IN,
    )
    return {"aalto": aalto, "berg": berg}


def test_it_lists_every_doctor_of_the_day_for_the_desk(login, front_desk, monday):
    html = get(login(front_desk), PAGE).content.decode()

    assert sections(html) == ["Dr Anna Aalto", "Dr Bo Berg", "Dr Cy Dahl"]
    berg = html.split(f'id="day-list-{monday["berg"].pk}"')[1].split("</section>")[0]
    assert berg.index("09:00–09:30") < berg.index("10:00–10:30")  # in time order
    assert "Lindqvist, Lina" in berg and "P0000101" in berg and "+46 8 123 456" in berg
    assert "1980-02-03" in berg and "Cough" in berg and "(Called)" in berg
    assert "working 09:00–17:00" in berg and "· 1 appointment<" in berg  # the cancelled one not
    assert "No appointments." in html  # Dahl's
    assert "appointments/day_list.css" in html  # the print stylesheet


def test_it_lists_one_specialty_or_one_doctor_for_the_desk(login, front_desk, monday):
    desk = login(front_desk)
    heart = monday["aalto"].specialty

    by_specialty = get(desk, PAGE, specialty=heart.pk).content.decode()
    one = get(desk, PAGE, doctor="D0002").content.decode()

    assert sections(by_specialty) == ["Dr Anna Aalto", "Dr Bo Berg"]
    assert sections(one) == ["Dr Bo Berg"]
    assert '<input type="hidden" name="doctor" value="D0002">' in one  # another day: the same
    assert get(desk, PAGE, doctor="D9999").status_code == 404


def test_it_gives_a_doctor_their_own_list_only(login, doctor, monday):
    own = doctor.doctor
    ekberg = PatientFactory(first_name="Elin", last_name="Ekberg")
    AppointmentFactory(doctor=own, patient=ekberg, start=at(14), end=at(14, 30))
    client = login(doctor)

    mine = get(client, PAGE).content.decode()

    assert sections(mine) == [str(own)]
    assert "Ekberg" in mine and "Lindqvist" not in mine
    assert get(client, PAGE, doctor=own.code).status_code == 200
    assert get(client, PAGE, doctor="D0002").status_code == 403
    assert get(client, CSV, doctor="D0002").status_code == 403
    assert [row[7] for row in rows(get(client, CSV))[1:]] == ["Ekberg, Elin"]


def test_it_refuses_the_roles_without_a_day_list(login, billing_clerk, outsider, monday):
    for user in (billing_clerk, outsider):
        client = login(user)
        assert get(client, PAGE).status_code == 403
        assert get(client, CSV).status_code == 403


def test_it_exports_the_same_rows_as_csv_and_audits_the_export(login, front_desk, monday):
    response = get(login(front_desk), CSV)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="day-list_2030-03-04.csv"'
    assert rows(response) == [
        HEADER,
        [
            "2030-03-04",
            "11:00",
            "12:00",
            "D0001",
            "Dr Anna Aalto",
            "Cardiology",
            "P0000103",
            "'=HYPERLINK(1), Eva",  # a spreadsheet would run it: written as text
            "1955-06-07",
            "555-0100",
            "",
            "Checked in",
        ],
        [
            "2030-03-04",
            "09:00",
            "09:30",
            "D0002",
            "Dr Bo Berg",
            "Cardiology",
            "P0000102",
            "Nord, Olof",
            "",
            "",
            "Check-up",
            "Cancelled",
        ],
        [
            "2030-03-04",
            "10:00",
            "10:30",
            "D0002",
            "Dr Bo Berg",
            "Cardiology",
            "P0000101",
            "Lindqvist, Lina",
            "1980-02-03",
            "'+46 8 123 456",  # "+" starts a formula too (core.csvstream)
            "Cough",
            "Scheduled",
        ],
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.changes == {"day_list": "2030-03-04", "doctors": ["D0001", "D0002", "D0004"]}


def test_it_names_one_doctors_csv_after_the_doctor(login, front_desk, monday):
    response = get(login(front_desk), CSV, doctor="D0002")

    assert response["Content-Disposition"] == 'attachment; filename="day-list_2030-03-04_D0002.csv"'
    assert [row[6] for row in rows(response)[1:]] == ["P0000102", "P0000101"]


def test_it_reads_as_many_queries_for_forty_doctors_as_for_three(login, front_desk, monday):
    desk = login(front_desk)

    def queries(name: str) -> int:
        get(desk, name)  # caches warmed
        with CaptureQueriesContext(connection) as captured:
            assert get(desk, name).status_code == 200
        return len(captured)

    few = (queries(PAGE), queries(CSV))
    for n in range(37):
        doctor = doctor_with_hours(last_name=f"Many{n:02d}")
        for hour in (9, 10, 11):
            AppointmentFactory(doctor=doctor, start=at(hour), end=at(hour, 30))
    many = (queries(PAGE), queries(CSV))

    assert many == few
