"""The appointment roll-ups (appointments.rollups) against a count of the appointments
themselves, whoever writes; the keyset pages of the appointments and doctor-workload reports."""

import datetime
import statistics
import threading
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from appointments.rollups import DayCount, DayLeadCount, DoctorDayCount, DoctorLeadCount, HourCount
from reports import selectors, summaries
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory
from tests.reports.helpers import at, booked

S = AppointmentStatus
MON = datetime.date(2024, 3, 4)
US = datetime.timedelta(microseconds=1)
STATUSES = ("scheduled", "checked_in", "completed", "cancelled", "no_show")


def _lead_days(a: Appointment) -> int:
    """Booked N days ahead: local date of the visit − local date of the booking (−1: imported)."""
    if a.legacy_id:
        return -1
    return max((timezone.localdate(a.start) - timezone.localdate(a.created_at)).days, 0)


def _counted() -> dict[str, Counter]:
    """What the roll-ups should hold, counted here from the appointments one by one."""
    c = {name: Counter() for name in ("doctor_day", "day", "hour", "day_lead", "doctor_lead")}
    for a in Appointment.objects.all():
        local = timezone.localtime(a.start)
        day, lead = local.date(), _lead_days(a)
        c["doctor_day"][(a.doctor_id, day, a.status)] += 1
        if a.status in ACTIVE_STATUSES:
            c["doctor_day"][(a.doctor_id, day, "booked_us")] += (a.end - a.start) // US
        c["day"][(day, a.status)] += 1
        c["hour"][(day, local.hour, a.status)] += 1
        if lead >= 0:
            c["hour"][(day, local.hour, "lead_count")] += 1
            c["hour"][(day, local.hour, "lead_days_sum")] += lead
            c["day_lead"][(day, lead)] += 1
        c["doctor_lead"][(False, day, a.doctor_id, lead, a.status)] += 1
        c["doctor_lead"][(True, day.replace(day=1), a.doctor_id, lead, a.status)] += 1
    return {name: +counter for name, counter in c.items()}


def _held() -> dict[str, Counter]:
    c = {name: Counter() for name in ("doctor_day", "day", "hour", "day_lead", "doctor_lead")}
    for r in DoctorDayCount.objects.all():
        for s in STATUSES:
            c["doctor_day"][(r.doctor_id, r.day, s)] += getattr(r, s)
        c["doctor_day"][(r.doctor_id, r.day, "booked_us")] += r.booked_us
    for r in DayCount.objects.all():
        for s in STATUSES:
            c["day"][(r.day, s)] += getattr(r, s)
    for r in HourCount.objects.all():
        for s in (*STATUSES, "lead_count", "lead_days_sum"):
            c["hour"][(r.day, r.hour, s)] += getattr(r, s)
    for r in DayLeadCount.objects.all():
        c["day_lead"][(r.day, r.lead_days)] += r.bookings
    for r in DoctorLeadCount.objects.all():
        for s in STATUSES:
            c["doctor_lead"][(r.whole_month, r.day, r.doctor_id, r.lead_days, s)] += getattr(r, s)
    return {name: Counter({k: n for k, n in counter.items() if n}) for name, counter in c.items()}


def _assert_rollups_match() -> None:
    assert _held() == _counted()
    # No row is left over at zero (empty days and lead times would slow the pages down).
    zero = {s: 0 for s in STATUSES}
    assert not DayCount.objects.filter(**zero).exists()
    assert not HourCount.objects.filter(**zero).exists()
    assert not DoctorLeadCount.objects.filter(**zero).exists()
    assert not DayLeadCount.objects.filter(bookings=0).exists()


@pytest.mark.django_db
def test_it_keeps_the_counts_through_bookings_moves_status_changes_and_deletes():
    ann, bob = DoctorFactory(), DoctorFactory()
    appts = [
        AppointmentFactory(
            doctor=(ann, bob)[i % 2],
            start=at(MON + datetime.timedelta(days=i // 4), 9 + i % 4),
            end=at(MON + datetime.timedelta(days=i // 4), 9 + i % 4, 30),
        )
        for i in range(12)
    ]
    booked(appts[0], 3.25)
    booked(appts[1], 0.5)
    _assert_rollups_match()

    moved = appts[2]
    moved.start, moved.end = at(MON, 23, 30), at(MON + datetime.timedelta(days=1), 0, 15)
    moved.save()  # a move across local midnight changes day, hour and lead
    Appointment.objects.filter(pk=appts[3].pk).update(doctor=bob if appts[3].doctor == ann else ann)
    Appointment.objects.filter(pk__in=[a.pk for a in appts[4:7]]).update(status=S.CANCELLED)
    Appointment.objects.filter(pk=appts[7].pk).update(status=S.COMPLETED)
    Appointment.objects.filter(pk=appts[8].pk).update(legacy_id="A0008")  # imported: no lead
    Appointment.objects.filter(pk=appts[9].pk).update(reason="Follow-up")  # nothing counted
    Appointment.objects.filter(pk__in=[appts[10].pk, appts[11].pk]).delete()
    _assert_rollups_match()

    Appointment.objects.all().delete()
    for rollup in (DoctorDayCount, DayCount, HourCount, DayLeadCount, DoctorLeadCount):
        assert not rollup.objects.exists()
    assert selectors.appointment_status_counts()[0] == ("scheduled", "Scheduled", 0)


@pytest.mark.django_db
def test_it_keeps_the_counts_through_raw_sql_as_the_applications_login():
    ann = DoctorFactory()
    patient = PatientFactory()
    AppointmentFactory(doctor=ann, start=at(MON, 9), end=at(MON, 10))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()
        cursor.execute(
            """INSERT INTO appointments_appointment
                   (created_at, updated_at, patient_id, doctor_id, start, "end", status,
                    reason, cancel_reason)
               SELECT now(), now(), %s, %s, s, s + interval '20 minutes', 'no_show', '', ''
               FROM generate_series(%s::timestamptz, %s, interval '1 hour') AS s""",
            [patient.pk, ann.pk, at(MON, 11), at(MON, 16)],
        )
        cursor.execute(
            "UPDATE appointments_appointment SET start = start + interval '1 day', "
            "\"end\" = \"end\" + interval '1 day' WHERE status = 'no_show' AND start < %s",
            [at(MON, 13)],
        )
        cursor.execute("DELETE FROM appointments_appointment WHERE start = %s", [at(MON, 14)])
    assert role == connection.settings_dict["USER"]  # not the owner
    assert Appointment.objects.count() == 6
    _assert_rollups_match()
    counts = dict((s, n) for s, _, n in selectors.appointment_status_counts(doctor=ann))
    assert counts == {"scheduled": 1, "checked_in": 0, "completed": 0, "cancelled": 0, "no_show": 5}


@pytest.mark.django_db(transaction=True)
def test_it_keeps_exact_counts_when_desks_book_the_same_day_at_once():
    doctors = [DoctorFactory(), DoctorFactory()]
    patients = [PatientFactory() for _ in range(8)]
    gate = threading.Barrier(4)
    errors = []

    def desk(n: int) -> None:
        try:
            gate.wait(timeout=10)
            for i in range(4):
                slot = n * 4 + i  # every desk its own slots, on the same doctors and day
                AppointmentFactory(
                    doctor=doctors[slot % 2],
                    patient=patients[slot % 8],
                    start=at(MON, 8, 0) + datetime.timedelta(minutes=30 * slot),
                    end=at(MON, 8, 0) + datetime.timedelta(minutes=30 * slot + 15),
                )
        except Exception as error:  # pragma: no cover - shown by the assert below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Appointment.objects.count() == 16
    _assert_rollups_match()
    assert DayCount.objects.get(day=MON).scheduled == 16


@pytest.mark.django_db
def test_a_deferred_bulk_load_leaves_the_counts_to_the_rebuild():
    ann = DoctorFactory()
    AppointmentFactory(doctor=ann, start=at(MON, 9), end=at(MON, 9, 30))
    before = _held()
    summaries.defer()  # as the parallel seed's loaders do
    for hour in (10, 11):
        a = AppointmentFactory(doctor=ann, start=at(MON, hour), end=at(MON, hour, 30))
        booked(a, 4)
    Appointment.objects.filter(start=at(MON, 9)).update(status=S.NO_SHOW)
    assert _held() == before  # left to the rebuild
    summaries.rebuild()
    _assert_rollups_match()
    overall = selectors.appointment_patterns_report().rows[0]
    assert overall[6:10] == (3, 0, 0, 1)


# --- appointment-patterns over the per-doctor months and days --------------------------------

JAN = datetime.date(2024, 1, 1)


def _median(values: list[int]) -> Decimal | None:
    return _one(statistics.median(values)) if values else None


def _one(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _doctor_figures(doctor, date_from, date_to) -> tuple | None:
    """A doctor's row worked out here from the appointments: bookings, completed, cancelled,
    no-show, median and average lead days."""
    mine = [
        a
        for a in Appointment.objects.filter(doctor=doctor)
        if (date_from is None or timezone.localdate(a.start) >= date_from)
        and (date_to is None or timezone.localdate(a.start) <= date_to)
    ]
    if not mine:
        return None
    leads = [_lead_days(a) for a in mine if not a.legacy_id]
    statuses = [a.status for a in mine]
    return (
        len(mine),
        statuses.count(S.COMPLETED),
        statuses.count(S.CANCELLED),
        statuses.count(S.NO_SHOW),
        _median(leads),
        _one(statistics.mean(leads)) if leads else None,
    )


@pytest.mark.django_db
def test_it_gives_each_doctors_lead_times_exactly_whatever_the_period():
    """Whole months plus or minus days at either end of the period: the same figures as the
    appointments themselves, and as the doctor's own report (read from the appointments)."""
    doctors = [DoctorFactory(code="D1"), DoctorFactory(code="D2")]
    cycle = (S.COMPLETED, S.CANCELLED, S.COMPLETED, S.NO_SHOW, S.SCHEDULED, S.CHECKED_IN)
    for i in range(70):
        day = JAN + datetime.timedelta(days=(i * 13) % 121)  # January to April
        a = AppointmentFactory(
            doctor=doctors[i % 2],
            start=at(day, 8 + i % 9),
            end=at(day, 8 + i % 9, 30),
            status=cycle[i % 6],
        )
        if i % 11 == 0:
            Appointment.objects.filter(pk=a.pk).update(legacy_id=f"L{i}")
        else:
            booked(a, (i * 7) % 23 + (i % 4) / 5)  # whole and part days, some the same day
    _assert_rollups_match()
    periods = [
        (None, None),
        (datetime.date(2024, 1, 15), datetime.date(2024, 3, 20)),  # months less days
        (datetime.date(2024, 1, 25), datetime.date(2024, 3, 5)),  # days either side
        (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29)),  # one whole month
        (datetime.date(2024, 2, 3), datetime.date(2024, 2, 10)),  # days of one month
        (datetime.date(2024, 2, 2), datetime.date(2024, 2, 27)),  # a month less days
        (datetime.date(2024, 1, 31), None),
        (None, datetime.date(2024, 3, 1)),
        (datetime.date(2024, 3, 5), datetime.date(2024, 2, 1)),  # empty
    ]
    for date_from, date_to in periods:
        rows = selectors.appointment_patterns_report(date_from=date_from, date_to=date_to).rows
        by_doctor = {r[1]: r[6:] for r in rows if r[0] == "doctor"}
        for d in doctors:
            want = _doctor_figures(d, date_from, date_to)
            got = by_doctor.get(d.code)
            assert (got and (*got[:4], *got[6:])) == want, (date_from, date_to, d.code)
            own = selectors.appointment_patterns_report(
                date_from=date_from, date_to=date_to, doctor=d
            ).rows
            assert [r[6:] for r in own if r[0] == "doctor"] == ([got] if got else [])


# --- keyset pages -------------------------------------------------------------------------


def _walk(selector, size: int, **filters) -> list[list[tuple]]:
    """Every page as the report page reads them: size + 1 rows after the last shown key."""
    pages, after = [], None
    while True:
        rows = list(selector(limit=size + 1, after=after, keyed=True, **filters).rows)
        pages.append([row[:-1] for row in rows[:size]])
        if len(rows) <= size:
            return pages
        after = rows[size - 1][-1]


@pytest.mark.django_db
def test_it_pages_appointments_in_order_without_missing_or_repeating_any():
    doctors = [DoctorFactory() for _ in range(3)]
    for day in range(3):
        for hour in (9, 10):  # three appointments start at each of these times
            for d in doctors:
                AppointmentFactory(
                    doctor=d,
                    start=at(MON + datetime.timedelta(days=day), hour),
                    end=at(MON + datetime.timedelta(days=day), hour, 30),
                )
    everything = list(selectors.appointments_report().rows)
    assert len(everything) == 18
    for size in (1, 2, 4, 5, 50):
        pages = _walk(selectors.appointments_report, size)
        assert [row for page in pages for row in page] == everything
        assert all(len(page) == size for page in pages[:-1])
    mine = _walk(selectors.appointments_report, 4, doctor=doctors[1])
    assert [r for page in mine for r in page] == [r for r in everything if r[3] == doctors[1].code]
    late = _walk(selectors.appointments_report, 4, date_from=MON + datetime.timedelta(days=1))
    assert sum(len(page) for page in late) == 12


@pytest.mark.django_db
def test_it_pages_the_workload_by_doctor_code():
    doctors = [DoctorFactory(code=f"D{i:03}") for i in range(7)]
    DoctorFactory(code="D100", is_active=False)  # no appointments: never listed
    for i, d in enumerate(doctors):
        AppointmentFactory(doctor=d, start=at(MON, 9 + i % 3), end=at(MON, 9 + i % 3, 30))
    pages = _walk(selectors.doctor_workload_report, 3)
    assert [[row[0] for row in page] for page in pages] == [
        ["D000", "D001", "D002"],
        ["D003", "D004", "D005"],
        ["D006"],
    ]
    assert [row for page in pages for row in page] == list(selectors.doctor_workload_report().rows)


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "2024-03-04T09:00:00+00:00",
        "2024-03-04T09:00:00_12",
        "2024-13-04T09:00:00+00:00_1",
        "2024-03-04T09:00:00+00:00_-1",
        "2024-03-04T09:00:00+00:00_1e3",
        "2024-03-04T09:00:00+00:00_99999999999999999999",
        "\x00_1",
        "",
    ],
)
@pytest.mark.django_db
def test_it_refuses_an_appointments_page_token_it_did_not_make(token):
    with pytest.raises(selectors.BadPageKey):
        selectors.appointments_report(after=token, limit=51, keyed=True)


@pytest.mark.parametrize("token", ["", "D" * 21, "D\x001", "D\n"])
@pytest.mark.django_db
def test_it_refuses_a_workload_page_token_it_did_not_make(token):
    with pytest.raises(selectors.BadPageKey):
        selectors.doctor_workload_report(after=token, limit=51, keyed=True)


def _page_queries(client, name: str) -> int:
    url = reverse("reports:report_detail", args=[name]) + "?from=2024-03-01&to=2024-03-31"
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["rows"]
    return len(captured)


def _hospital(doctors: int, days: int) -> None:
    patient = PatientFactory()
    for i in range(doctors):
        d = DoctorFactory()
        for day in range(days):
            start = at(MON + datetime.timedelta(days=day), 8) + datetime.timedelta(minutes=20 * i)
            AppointmentFactory(
                doctor=d,
                patient=patient if i == 0 else PatientFactory(),
                start=start,
                end=start + datetime.timedelta(minutes=15),
            )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["appointments", "doctor-workload", "appointment-patterns"])
def test_it_opens_the_appointment_reports_in_the_same_queries_at_two_sizes(login, admin_user, name):
    client = login(admin_user)
    _hospital(doctors=2, days=2)
    client.get(reverse("reports:report_detail", args=[name]))  # the session's first writes
    few = _page_queries(client, name)
    _hospital(doctors=60, days=3)  # more doctors than a page of the workload
    many = _page_queries(client, name)
    assert many == few
