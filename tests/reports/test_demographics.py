"""The demographics report at any size: the counts per birth month (reports.models, kept by
triggers) against the patients themselves after every kind of write, and the bands against
the report's definition worked out here in Python, on the birth dates where a day decides."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient, Sex
from reports import selectors, summaries
from reports.models import DemographicMonthCount
from tests.concurrency import run_concurrently
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SEXES = (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN)
BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+", "unknown"]


def _expected_months() -> dict[datetime.date | None, tuple[int, ...]]:
    """Active patients per birth month (its first day) and sex, from the patients."""
    counts: dict[datetime.date | None, list[int]] = {}
    for dob, sex in Patient.objects.filter(is_active=True).values_list("date_of_birth", "sex"):
        month = dob.replace(day=1) if dob else None
        counts.setdefault(month, [0, 0, 0, 0])[SEXES.index(sex)] += 1
    return {month: tuple(c) for month, c in counts.items()}


def _months() -> dict[datetime.date | None, tuple[int, ...]]:
    found = {}
    for m in DemographicMonthCount.objects.all():
        counts = (m.female, m.male, m.other, m.unknown)
        if any(counts):
            found[m.birth_month] = counts
    return found


def test_the_months_follow_every_kind_of_write():
    ann = PatientFactory(sex=Sex.FEMALE, date_of_birth=datetime.date(1980, 5, 1))
    bob = PatientFactory(sex=Sex.MALE, date_of_birth=datetime.date(1980, 5, 31))
    cy = PatientFactory(sex=Sex.OTHER, date_of_birth=None)
    PatientFactory(sex=Sex.UNKNOWN, date_of_birth=datetime.date(2000, 2, 29), is_active=False)
    assert _months() == {datetime.date(1980, 5, 1): (1, 1, 0, 0), None: (0, 0, 1, 0)}

    # Edits: a birth date in the same month, then in another; a sex; a deactivation.
    Patient.objects.filter(pk=ann.pk).update(date_of_birth=datetime.date(1980, 5, 20))
    assert _months() == _expected_months()
    ann.date_of_birth = datetime.date(1980, 6, 1)
    ann.save()
    bob.sex = Sex.UNKNOWN
    bob.save()
    Patient.objects.filter(pk=cy.pk).update(is_active=False)
    assert _months() == {
        datetime.date(1980, 5, 1): (0, 0, 0, 1),
        datetime.date(1980, 6, 1): (1, 0, 0, 0),
    }
    # One statement that moves patients both ways between two months and reactivates one.
    Patient.objects.filter(pk__in=[ann.pk, bob.pk]).update(
        date_of_birth=datetime.date(1999, 12, 31)
    )
    Patient.objects.update(is_active=True)
    assert _months() == _expected_months()
    assert _months()[datetime.date(2000, 2, 1)] == (0, 0, 0, 1)

    # Raw SQL as the application's role, as psql or a bulk loader would do it.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patients_patient (created_at, updated_at, mrn, first_name, last_name, "
            "date_of_birth, dob_is_estimated, sex, phone, email, address_line1, address_line2, "
            "city, region, postal_code, country, emergency_contact_name, "
            "emergency_contact_phone, emergency_contact_relationship, is_active, "
            "messages_opt_out) SELECT now(), now(), 'RAW' || g, 'Raw', 'Patient', "
            "date '1930-01-31' + g, false, 'female', '', '', '', '', '', '', '', '', '', '', '', "
            "g <> 2, false FROM generate_series(0, 3) g"
        )
        cursor.execute("UPDATE patients_patient SET sex = 'male' WHERE mrn = 'RAW0'")
    assert _months() == _expected_months()
    assert _months()[datetime.date(1930, 2, 1)] == (2, 0, 0, 0)  # 1 and 3 Feb; 2 Feb inactive

    # Deletes, one and many (in SQL: the trigger counts them whoever deletes).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patients_patient WHERE id = %s", [bob.pk])
        cursor.execute("DELETE FROM patients_patient WHERE mrn LIKE 'RAW%%'")
    assert _months() == _expected_months()
    assert datetime.date(1930, 1, 1) not in _months()


def test_a_rebuild_makes_the_months_again_after_a_deferred_load():
    PatientFactory(sex=Sex.FEMALE, date_of_birth=datetime.date(1975, 3, 3))
    summaries.defer()
    PatientFactory.create_batch(3, sex=Sex.MALE, date_of_birth=datetime.date(1975, 3, 30))
    Patient.objects.filter(sex=Sex.FEMALE).update(date_of_birth=None)
    assert _months() == {datetime.date(1975, 3, 1): (1, 0, 0, 0)}  # left to the rebuild
    summaries.rebuild()
    assert (
        _months()
        == _expected_months()
        == {
            datetime.date(1975, 3, 1): (0, 3, 0, 0),
            None: (1, 0, 0, 0),
        }
    )


@pytest.mark.django_db(transaction=True)
def test_desks_registering_patients_of_one_month_at_once_are_all_counted():
    moving = PatientFactory.create_batch(4, sex=Sex.MALE, date_of_birth=datetime.date(1980, 6, 9))

    def desk(n: int) -> None:
        if n == 4:  # meanwhile, one statement moves four patients into the same month
            ids = [p.pk for p in moving]
            Patient.objects.filter(pk__in=ids).update(date_of_birth=datetime.date(1980, 5, 2))
            return
        for i in range(5):  # its own transactions, each adding to the same month's row
            PatientFactory(sex=SEXES[n], date_of_birth=datetime.date(1980, 5, 1 + n * 5 + i))

    _, errors = run_concurrently(5, desk)
    assert errors == []
    assert _months() == _expected_months() == {datetime.date(1980, 5, 1): (5, 9, 5, 5)}


# --- the bands on the days that decide them ---------------------------------------------------


def _band(dob: datetime.date | None, today: datetime.date) -> str:
    """The report's definition: whole years of age today (a year older on the day of the month
    and the month of birth; born 29 February, on 1 March in other years), under 0 counted as 0,
    five-year bands up to 85-89, then 90+."""
    if dob is None:
        return "unknown"
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    age = max(age, 0)
    return "90+" if age >= 90 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# Early and late in the month (the report reads the cut-off's months from either side), leap
# day, its neighbours in leap and other years, the year's ends.
TODAYS = [
    datetime.date(2024, 2, 29),
    datetime.date(2023, 2, 28),
    datetime.date(2023, 3, 1),
    datetime.date(2024, 3, 1),
    datetime.date(2024, 6, 1),
    datetime.date(2024, 6, 15),
    datetime.date(2024, 6, 16),
    datetime.date(2024, 12, 31),
    datetime.date(2025, 1, 1),
]


def _tricky_birth_dates() -> list[datetime.date | None]:
    days: set[datetime.date] = set()
    for today in TODAYS:
        for years in range(0, 101, 5):  # every cut-off, and the days either side
            cut = _years_before(today, years)
            days |= {cut - datetime.timedelta(days=1), cut, cut + datetime.timedelta(days=1)}
            last = (cut.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            days |= {cut.replace(day=1), last - datetime.timedelta(days=1)}  # the month's ends
        days |= {today + datetime.timedelta(days=1), _years_before(today, -3)}  # the future
    for year in (1932, 1934, 1996, 1999, 2000, 2019, 2020, 2021):
        days |= {datetime.date(year, 2, 28), datetime.date(year, 3, 1)}
        if year % 4 == 0:
            days.add(datetime.date(year, 2, 29))
    days |= {datetime.date(1, 1, 1), datetime.date(1850, 7, 1), datetime.date(2200, 12, 31)}
    return sorted(days) + [None, None]


def test_the_bands_follow_the_definition_on_the_days_that_decide_them():
    born = _tricky_birth_dates()
    sexes = itertools.cycle(SEXES)
    people = [
        (dob, next(sexes)) for dob in born for _ in range(1 + (dob is not None and dob.day % 2))
    ]
    Patient.objects.bulk_create(
        PatientFactory.build(date_of_birth=dob, sex=sex, mrn=f"T{i:05d}")
        for i, (dob, sex) in enumerate(people)
    )
    PatientFactory(date_of_birth=TODAYS[0], sex=Sex.FEMALE, is_active=False)  # never counted

    for today in TODAYS:
        rows = list(selectors.demographics_report(today=today).rows)
        assert [row[0] for row in rows] == BANDS
        expected = {band: [0] * 5 for band in BANDS}
        for dob, sex in people:
            counts = expected[_band(dob, today)]
            counts[SEXES.index(sex)] += 1
            counts[4] += 1
        assert {row[0]: list(row[1:]) for row in rows} == expected, today
    # The leap-day baby turns 24 on 29 February 2024, and 23 only on 1 March 2023.
    assert _band(datetime.date(2000, 2, 29), datetime.date(2024, 2, 29)) == "20-24"
    assert _band(datetime.date(1999, 2, 28), datetime.date(2024, 2, 29)) == "25-29"
    assert _band(datetime.date(2000, 2, 29), datetime.date(2025, 2, 28)) == "20-24"
    assert _band(datetime.date(2000, 2, 29), datetime.date(2025, 3, 1)) == "25-29"


# --- the page ----------------------------------------------------------------------------------


def _page(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:report_detail", args=["demographics"]))
    assert response.status_code == 200
    return len(captured), {row[0]: row[-1] for row in response.context["rows"]}


def _register(n: int, start: int) -> list[datetime.date]:
    """n patients, one born each 97 days back from today: every band, every day of the month."""
    today = timezone.localdate()
    born = [today - datetime.timedelta(days=97 * (start + i)) for i in range(n)]
    Patient.objects.bulk_create(
        PatientFactory.build(date_of_birth=dob, mrn=f"S{start + i:05d}")
        for i, dob in enumerate(born)
    )
    return born


def test_the_page_costs_the_same_queries_at_two_sizes(login, admin_user):
    client = login(admin_user)
    today = timezone.localdate()
    born = _register(3, 0)
    client.get(reverse("reports:report_detail", args=["demographics"]))
    few, totals = _page(client)
    assert sum(totals.values()) == totals["0-4"] == 3
    born += _register(400, 3)  # back to 1916: every band, the oldest in 90+
    many, totals = _page(client)
    assert many == few
    for band in BANDS:
        assert totals[band] == sum(_band(dob, today) == band for dob in born), band
    assert totals["unknown"] == 0 and sum(totals.values()) == 403
