"""Helpers for the front-desk tests: doctors with hours, aware local times, patients in bulk."""

import datetime
import random

from django.utils import timezone

from patients.models import Patient
from tests.factories import DoctorFactory, SpecialtyFactory, WorkingHoursFactory

MONDAY = datetime.date(2030, 3, 4)  # far enough ahead to be bookable whenever tests run
TUESDAY = MONDAY + datetime.timedelta(days=1)


def at(hour: int, minute: int = 0, day: datetime.date = MONDAY) -> datetime.datetime:
    """An aware datetime in the hospital's local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


WEEK = datetime.timedelta(days=7)


def tuesday(week: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """`week` weeks after TUESDAY, at `hour`:`minute` local time: the series tests' days."""
    return at(hour, minute, day=TUESDAY + week * WEEK)


def wednesday(week: int, hour: int = 10) -> datetime.datetime:
    """The day after `tuesday(week)`, at `hour`."""
    return tuesday(week, hour) + datetime.timedelta(days=1)


def doctor_with_hours(
    *,
    weekdays=(0,),
    start: datetime.time = datetime.time(9, 0),
    end: datetime.time = datetime.time(17, 0),
    slot_minutes: int = 30,
    specialty=None,
    **fields,
):
    """A doctor working `start`–`end` on each of `weekdays`, valid since 2020."""
    doctor = DoctorFactory(specialty=specialty or SpecialtyFactory(name="Cardiology"), **fields)
    for weekday in weekdays:
        WorkingHoursFactory(
            doctor=doctor,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            valid_from=datetime.date(2020, 1, 1),
        )
    return doctor


_SYLLABLES = (
    "ka ri mo lu sen ta vi na do re el an ber gu os tin wa ja mi ko "
    "zu pe ra fi nor dal bri cas ten hol mar lin ves qui yar sol fen"
).split()


def invented_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def bulk_patients(count: int, *, seed: int = 7, prefix: str = "B") -> list[Patient]:
    """`count` patients with varied invented names, dates of birth and phones, in one INSERT
    batch (no services: this is table filling for plans and query counts)."""
    rng = random.Random(seed)
    patients = [
        Patient(
            mrn=f"{prefix}{n:07d}",
            first_name=invented_name(rng),
            last_name=invented_name(rng),
            date_of_birth=datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(33000)),
            phone=f"+1 {rng.randrange(200, 999)} {rng.randrange(1000, 9999)}",
            sex="female" if n % 2 else "male",
        )
        for n in range(count)
    ]
    return Patient.objects.bulk_create(patients, batch_size=2000)


def fill_patients_table(count: int, *, prefix: str = "F") -> None:
    """`count` patients with invented names, dates of birth and phones, generated inside
    PostgreSQL (one statement): a table big enough for the planner's own cost model."""
    from django.db import connection

    syllables = "{" + ",".join(_SYLLABLES) + "}"
    name = (
        "initcap((%(s)s::text[])[1 + (hashtext(n || '{k}a') & 1023) %% {m}]"
        " || (%(s)s::text[])[1 + (hashtext(n || '{k}b') & 1023) %% {m}]"
        " || (%(s)s::text[])[1 + (hashtext(n || '{k}c') & 1023) %% {m}])"
    )
    m = len(_SYLLABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO patients_patient (
                created_at, updated_at, mrn, first_name, last_name, date_of_birth,
                dob_is_estimated, sex, phone, email, address_line1, address_line2, city,
                region, postal_code, country, emergency_contact_name,
                emergency_contact_phone, emergency_contact_relationship, is_active)
            SELECT now(), now(), %(prefix)s || lpad(n::text, 7, '0'),
                   {name.format(k="f", m=m)}, {name.format(k="l", m=m)},
                   date '1930-01-01' + (hashtext(n || 'd') & 32767),
                   false, CASE WHEN n %% 2 = 0 THEN 'male' ELSE 'female' END,
                   '+1 ' || (200 + (hashtext(n || 'p') & 511)) || ' '
                       || (100 + (hashtext(n || 'x') & 511)) || ' '
                       || lpad(((hashtext(n || 'q') & 16383) %% 10000)::text, 4, '0'),
                   '', '', '', '', '', '', '', '', '', '', true
            FROM generate_series(1, %(count)s) AS n
            """,
            {"s": syllables, "prefix": prefix, "count": count},
        )
