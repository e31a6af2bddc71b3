"""The appointment reports' figures (appointments, doctor workload, appointment
patterns) against values worked out here, in Python, from a small data set. The billing
reports are in test_billing_figures.py, the patient reports in test_patient_figures.py."""

import datetime
import statistics
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from appointments.rollups import rollups_rebuild
from reports import selectors
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory, WorkingHoursFactory
from tests.reports.helpers import at, booked, local_text

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
S = AppointmentStatus


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _one(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@pytest.fixture
def clinic():
    """Two doctors and a month of appointments in every status, one in April."""
    ann = DoctorFactory(code="D0001", first_name="Ann", last_name="Adams")
    bob = DoctorFactory(code="D0002", first_name="Bob", last_name="Brown")
    p1, p2, p3, p4 = (PatientFactory(mrn=f"P{i}") for i in range(1, 5))
    mon, tue, sun = datetime.date(2024, 3, 4), datetime.date(2024, 3, 5), datetime.date(2024, 3, 10)
    appts = [
        AppointmentFactory(
            doctor=ann, patient=p1, start=at(mon, 9), end=at(mon, 10), status=S.COMPLETED
        ),
        AppointmentFactory(
            doctor=ann, patient=p2, start=at(mon, 10), end=at(mon, 10, 30), status=S.CANCELLED
        ),
        AppointmentFactory(
            doctor=ann, patient=p1, start=at(tue, 9), end=at(tue, 9, 30), status=S.NO_SHOW
        ),
        AppointmentFactory(
            doctor=ann, patient=p3, start=at(sun, 14), end=at(sun, 14, 45), status=S.SCHEDULED
        ),
        AppointmentFactory(
            doctor=bob, patient=p2, start=at(mon, 9), end=at(mon, 9, 30), status=S.COMPLETED
        ),
        AppointmentFactory(
            doctor=bob, patient=p4, start=at(tue, 11), end=at(tue, 11, 30), status=S.CHECKED_IN
        ),
        AppointmentFactory(
            doctor=bob,
            patient=p4,
            start=at(datetime.date(2024, 4, 1), 11),
            end=at(datetime.date(2024, 4, 1), 11, 30),
            status=S.COMPLETED,
        ),
    ]
    return {"ann": ann, "bob": bob, "appointments": appts}


def _in_period(appointment, date_from, date_to):
    day = timezone.localtime(appointment.start).date()
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


# --- appointments -------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "ann", "bob"])
@pytest.mark.parametrize("period", [(None, None), MARCH, (datetime.date(2024, 3, 5), None)])
def test_it_lists_the_appointments_of_a_period_and_doctor(clinic, who, period):
    doctor = clinic[who] if who else None
    expected = [
        (
            str(a.pk),
            a.patient.mrn,
            f"{a.patient.first_name} {a.patient.last_name}",
            a.doctor.code,
            local_text(a.start),
            local_text(a.end),
            a.status,
            f"{a.doctor.first_name} {a.doctor.last_name}",
        )
        for a in sorted(clinic["appointments"], key=lambda a: (a.start, a.doctor.code))
        if (doctor is None or a.doctor == doctor) and _in_period(a, *period)
    ]
    result = selectors.appointments_report(date_from=period[0], date_to=period[1], doctor=doctor)
    assert list(result.rows) == expected
    assert expected  # every combination has something to compare


def test_it_shows_the_legacy_appointment_id_of_imported_appointments(clinic):
    Appointment.objects.filter(pk=clinic["appointments"][0].pk).update(legacy_id="A00001")
    ids = [row[0] for row in selectors.appointments_report(doctor=clinic["ann"]).rows]
    assert ids[0] == "A00001"
    assert ids[1] == str(clinic["appointments"][1].pk)


def test_it_counts_a_periods_appointments_by_status(clinic):
    counts = selectors.appointment_status_counts(
        date_from=MARCH[0], date_to=MARCH[1], doctor=clinic["ann"]
    )
    assert [(value, n) for value, _, n in counts] == [
        ("scheduled", 1),
        ("checked_in", 0),
        ("completed", 1),
        ("cancelled", 1),
        ("no_show", 1),
    ]


# --- doctor-workload ----------------------------------------------------------------------


def _working_minutes(blocks, date_from, date_to):
    minutes, day = 0, date_from
    while day <= date_to:
        for wh in blocks:
            valid = wh.valid_from <= day and (wh.valid_until is None or wh.valid_until >= day)
            if wh.weekday == day.weekday() and valid:
                start = datetime.datetime.combine(day, wh.start_time)
                minutes += (datetime.datetime.combine(day, wh.end_time) - start).seconds / 60
        day += datetime.timedelta(days=1)
    return Decimal(minutes)


def test_it_sums_each_doctors_workload_and_utilization(clinic):
    ann, bob = clinic["ann"], clinic["bob"]
    blocks = [
        WorkingHoursFactory(
            doctor=ann, weekday=0, start_time=datetime.time(9), end_time=datetime.time(17)
        ),
        WorkingHoursFactory(
            doctor=ann, weekday=1, start_time=datetime.time(9), end_time=datetime.time(13)
        ),
        # Valid for the first Wednesday of March only.
        WorkingHoursFactory(
            doctor=ann,
            weekday=2,
            start_time=datetime.time(14),
            end_time=datetime.time(16),
            valid_until=datetime.date(2024, 3, 10),
        ),
    ]
    DoctorFactory(code="D0009", is_active=False)  # no appointments: not listed

    rows = {
        r[0]: r for r in selectors.doctor_workload_report(date_from=MARCH[0], date_to=MARCH[1]).rows
    }

    assert set(rows) == {"D0001", "D0002"}
    for doctor in (ann, bob):
        mine = [a for a in clinic["appointments"] if a.doctor == doctor and _in_period(a, *MARCH)]
        by = {s: sum(1 for a in mine if a.status == s) for s in S.values}
        booked_minutes = sum(
            (a.end - a.start).seconds // 60 for a in mine if a.status in ACTIVE_STATUSES
        )
        working = _working_minutes([b for b in blocks if b.doctor == doctor], *MARCH)
        row = rows[doctor.code]
        assert row[:9] == (
            doctor.code,
            f"{doctor.first_name} {doctor.last_name}",
            doctor.specialty.name,
            len(mine),
            by["completed"],
            by["cancelled"],
            by["no_show"],
            by["scheduled"],
            by["checked_in"],
        )
        assert row[9] == (Decimal(booked_minutes) / 60).quantize(Decimal("0.01"))
        assert row[10] == (working / 60).quantize(Decimal("0.01"))
        expected_util = _pct(booked_minutes, working) if working else None
        assert row[11] == expected_util
    assert rows["D0001"][10] == Decimal("50.00")  # 4 Mondays × 8 h + 4 Tuesdays × 4 h + 2 h
    assert rows["D0001"][11] == Decimal("3.5")  # (60 + 45) minutes of 50 hours
    assert rows["D0002"][11] is None  # no working hours: no utilization


def test_it_limits_the_workload_to_one_doctor_and_a_period(clinic):
    rows = list(
        selectors.doctor_workload_report(
            date_from=datetime.date(2024, 4, 1), date_to=None, doctor=clinic["bob"]
        ).rows
    )
    assert [(r[0], r[3], r[4]) for r in rows] == [("D0002", 1, 1)]


# --- appointment-patterns -----------------------------------------------------------------


def test_it_groups_bookings_by_local_weekday_and_hour_with_rates_and_lead_time(settings):
    settings.TIME_ZONE = "America/New_York"
    rollups_rebuild()  # the roll-ups count local days and hours in the hospital's zone
    tz = zoneinfo.ZoneInfo("America/New_York")
    ann, bob = DoctorFactory(code="D0001"), DoctorFactory(code="D0002")
    mon, tue = datetime.date(2024, 3, 4), datetime.date(2024, 3, 5)
    plan = [  # doctor, day, local hour, status, booked days ahead (None: imported)
        (ann, mon, 9, S.COMPLETED, 2),
        (ann, mon, 10, S.NO_SHOW, 3),
        (ann, tue, 9, S.CANCELLED, 7),
        (bob, mon, 9, S.COMPLETED, None),
        (bob, tue, 20, S.COMPLETED, 0.5),  # 20:00 in New York is 01:00 UTC on Wednesday
        (bob, tue, 21, S.NO_SHOW, 10),
        (ann, tue, 10, S.COMPLETED, 0.5),  # booked at 22:00 the evening before: 1 day ahead
    ]
    appts = []
    for doctor, day, hour, status, ahead in plan:
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
        a = AppointmentFactory(
            doctor=doctor, start=start, end=start + datetime.timedelta(minutes=30), status=status
        )
        if ahead is None:
            Appointment.objects.filter(pk=a.pk).update(legacy_id=f"A{a.pk}")
        else:
            booked(a, ahead)
            # "booked N days ahead": local date of the visit − local date of the booking
            made = (start - datetime.timedelta(days=ahead)).astimezone(tz)
            ahead = (day - made.date()).days
        appts.append((a, ahead))

    rows = list(selectors.appointment_patterns_report().rows)

    def expect(group):
        n = len(group)
        leads = [ahead for _, ahead in group if ahead is not None]
        statuses = [a.status for a, _ in group]
        return (
            n,
            statuses.count(S.COMPLETED),
            statuses.count(S.CANCELLED),
            statuses.count(S.NO_SHOW),
            _pct(statuses.count(S.CANCELLED), n),
            _pct(statuses.count(S.NO_SHOW), n),
            _one(statuses and statistics.median(leads)) if leads else None,
            _one(statistics.mean(leads)) if leads else None,
        )

    got = {(r[0], r[1], r[3], r[5]): r for r in rows}
    assert got[("all", None, None, None)][6:] == expect(appts)
    for doctor in (ann, bob):
        group = [x for x in appts if x[0].doctor == doctor]
        assert got[("doctor", doctor.code, None, None)][6:] == expect(group)
    local = {a.pk: a.start.astimezone(tz) for a, _ in appts}
    for weekday in {local[a.pk].weekday() for a, _ in appts}:
        group = [x for x in appts if local[x[0].pk].weekday() == weekday]
        row = got[("weekday", None, weekday, None)]
        assert row[4] == ("Monday", "Tuesday")[weekday]
        assert row[6:] == expect(group)
    cells = {(r[3], r[5]): r[6] for r in rows if r[0] == "weekday_hour"}
    assert cells == {(0, 9): 2, (0, 10): 1, (1, 9): 1, (1, 10): 1, (1, 20): 1, (1, 21): 1}
    # A cell shows its average lead time (not the median); Monday 9:00: 2 days and imported.
    assert got[("weekday_hour", None, 0, 9)][12:] == (None, Decimal("2.0"))
    assert got[("doctor", "D0002", None, None)][12] == Decimal("5.0")  # median of 0 and 10
    assert got[("doctor", "D0001", None, None)][12] == Decimal("2.5")  # of 1, 2, 3 and 7


def test_it_filters_patterns_by_doctor_and_period():
    ann, bob = DoctorFactory(), DoctorFactory()
    mon = datetime.date(2024, 3, 4)
    AppointmentFactory(doctor=ann, start=at(mon, 9), end=at(mon, 9, 30))
    AppointmentFactory(doctor=bob, start=at(mon, 9), end=at(mon, 9, 30))
    AppointmentFactory(
        doctor=ann,
        start=at(mon + datetime.timedelta(days=30), 9),
        end=at(mon + datetime.timedelta(days=30), 9, 30),
    )
    rows = list(selectors.appointment_patterns_report(date_to=MARCH[1], doctor=ann).rows)
    overall = rows[0]
    assert overall[0] == "all"
    assert overall[6] == 1
    assert [r[1] for r in rows if r[0] == "doctor"] == [ann.code]


def test_it_reports_no_patterns_without_bookings():
    rows = list(selectors.appointment_patterns_report().rows)
    assert rows == [("all", None, None, None, None, None, 0, 0, 0, 0, None, None, None, None)]
