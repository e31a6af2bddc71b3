"""The waiting-times report: figures worked by hand, per doctor and hour of check-in; an undone
check-in counts nowhere; a doctor sees their own; paged by (doctor, hour); CSV as the page."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from appointments.models import AppointmentStatus, QueueTicket
from reports.selectors import waiting_times_report
from tests.factories import AppointmentFactory, AttendanceFactory, DoctorFactory
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 4)
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


def _visit(doctor, slot, checked_in, called=None, started=None, number=None, withdrawn=()):
    """A visit of `doctor` at 08:00 + 30 min × `slot`, checked in at `checked_in` (h, m), called
    and started at those times (or not), with its token (and earlier withdrawn ones)."""
    start = at(DAY, 8) + datetime.timedelta(minutes=30 * slot)
    appointment = AppointmentFactory(
        doctor=doctor,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        status=AppointmentStatus.CHECKED_IN,
    )
    AttendanceFactory(
        appointment=appointment,
        checked_in_at=at(DAY, *checked_in),
        started_at=at(DAY, *started) if started else None,
    )
    for old in withdrawn:
        QueueTicket.objects.create(
            appointment=appointment,
            doctor=doctor,
            day=DAY,
            queue=doctor.pk,
            number=old,
            withdrawn_at=at(DAY, *checked_in),
        )
    if number is not None:
        moment = at(DAY, *called) if called else None
        QueueTicket.objects.create(
            appointment=appointment,
            doctor=doctor,
            day=DAY,
            queue=doctor.pk,
            number=number,
            called_at=moment,
            announced_at=moment,
            calls=1 if called else 0,
        )


@pytest.fixture
def clinic():
    """Two doctors' mornings, worked out in each test's comments."""
    ann = DoctorFactory(code="D0100", first_name="Ann", last_name="Smith")
    bob = DoctorFactory(code="D0200", first_name="Bob", last_name="Jones")
    # Ann, hour 8: checked in 08:50, called 09:05 (15 min), visit 09:07 (2; 17 from check-in).
    _visit(ann, 0, (8, 50), called=(9, 5), started=(9, 7), number=1)
    # Ann, hour 9: waits 30, 10 and 1 min; call to visit 5, 15, 59; check-in to visit 35, 25,
    # 60; and one still waiting, never called.
    _visit(ann, 1, (9, 10), called=(9, 40), started=(9, 45), number=2)
    _visit(ann, 2, (9, 25), called=(9, 35), started=(9, 50), number=4)
    _visit(ann, 3, (9, 30), called=(9, 31), started=(10, 30), number=5)
    _visit(ann, 4, (9, 20), number=6)
    # Ann, hour 10: checked in again after an undone check-in (token 3 withdrawn: counted once),
    # called after 2 min, seen at once; and one seen after 30 min without a call.
    _visit(ann, 5, (10, 2), called=(10, 4), started=(10, 4), number=7, withdrawn=(3,))
    _visit(ann, 6, (10, 20), started=(10, 50))
    # Bob, hour 14: one patient, called after 45 min, seen 5 min later.
    _visit(bob, 12, (14, 0), called=(14, 45), started=(14, 50), number=1)
    return ann, bob


D = Decimal
ANN = [
    ("D0100", "Ann Smith", 8, 1, 1, D("15.0"), D("15.0"), D("15.0"), D("2.0"), D("17.0")),
    # avg (30+10+1)/3 = 13.7, median 10, longest 30; (5+15+59)/3 = 26.3; (35+25+60)/3 = 40
    ("D0100", "Ann Smith", 9, 4, 3, D("13.7"), D("10.0"), D("30.0"), D("26.3"), D("40.0")),
    # one called (2 min, 0 to the visit); check-in to visit (2 + 30) / 2 = 16
    ("D0100", "Ann Smith", 10, 2, 1, D("2.0"), D("2.0"), D("2.0"), D("0.0"), D("16.0")),
]
BOB = [("D0200", "Bob Jones", 14, 1, 1, D("45.0"), D("45.0"), D("45.0"), D("5.0"), D("50.0"))]


def test_it_works_out_the_waits_by_doctor_and_hour(clinic):
    rows = list(waiting_times_report(date_from=DAY, date_to=DAY).rows)
    assert rows == ANN + BOB


def test_a_period_without_the_day_has_no_rows(clinic):
    later = DAY + datetime.timedelta(days=1)
    assert list(waiting_times_report(date_from=later, date_to=later).rows) == []


def test_a_doctor_sees_only_their_own_figures(clinic, login, doctor):
    me = doctor.doctor
    _visit(me, 14, (15, 0), called=(15, 20), number=1)
    client = login(doctor)
    url = reverse("reports:report_detail", args=["waiting-times"])
    response = client.get(url, PERIOD)
    assert response.status_code == 200
    assert [row[0] for row in response.context["rows"]] == [me.code]
    assert client.get(url, {**PERIOD, "doctor": "D0100"}).status_code == 403


def test_the_page_goes_a_page_of_doctor_hours_at_a_time_with_the_chart(clinic, login, admin_user):
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["waiting-times"])
    first = client.get(url, {**PERIOD, "size": "2"})
    assert first.context["rows"] == ANN[:2]
    assert '<title id="waiting-times-chart-title">Average wait until called, by hour</title>' in (
        first.text
    )
    # The chart averages the page's rows by hour: 08:00 15.0 min, 09:00 13.7 min.
    assert "Checked in 09:00–09:59: 13.7 min on average until called (3)" in first.text
    second = client.get(url + "?" + first.context["next_page"])
    assert second.context["rows"] == ANN[2:] + BOB
    assert second.context["next_page"] is None


def test_the_csv_has_the_same_figures(clinic, login, admin_user):
    response = login(admin_user).get(reverse("reports:report_csv", args=["waiting-times"]), PERIOD)
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:5] == ["doctor_code", "doctor_name", "hour", "checked_in", "called"]
    assert lines[2] == ["D0100", "Ann Smith", "9", "4", "3", "13.7", "10.0", "30.0", "26.3", "40.0"]
    assert len(lines) == 1 + len(ANN + BOB)
