"""Plans: the pure, deterministic part of the demo hospital: its size and calendar, its
doctors, and the ids and date texts the row generators share.
"""

from __future__ import annotations

import datetime
import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from demo.reference import FEMALE_NAMES, LAST_NAMES, MALE_NAMES, WEEK_PATTERN_WEIGHTS, WEEK_PATTERNS
from demo.specialties import SPECIALTIES

SLOT_MINUTES = 30
FUTURE_DAYS = 14  # today and the 13 days after it hold scheduled appointments
CHILD_SHARE = 0.18  # share of patients under 16: the paediatric pool

# Sizes that grow with the hospital (what `seed_demo --patients N` picks unless told).
# About this many appointments per patient over the seeded days, all sizes alike.
APPOINTMENTS_PER_PATIENT = 5
BASE_PATIENTS, BASE_DAYS, MIN_DOCTORS = 2000, 60, 20  # the default hospital of `make run`
MAX_DAYS = 3 * 365
# A doctor's appointments: about 9.1 a day over the past days (five or six working days of
# 8 hours, 82 % of slots booked) and 100 over the next two weeks (fuller the nearer).
PER_DOCTOR_DAY, PER_DOCTOR_AHEAD = 9.1, 100


def default_days(patients: int) -> int:
    """Days of past appointments: 60 up to 2,000 patients, then growing with the square root
    of the size (about 4 months at 10,000, 14 at 100,000), at most 3 years (from 670,000):
    a bigger hospital has a longer past as well as more doctors."""
    if patients <= BASE_PATIENTS:
        return BASE_DAYS
    return min(MAX_DAYS, round(BASE_DAYS * math.sqrt(patients / BASE_PATIENTS)))


def default_doctors(patients: int, days: int) -> int:
    """Doctors enough for APPOINTMENTS_PER_PATIENT appointments per patient over the seeded
    days (20 at least: the default hospital's): 38 at 10,000 patients, ~125 at 100,000,
    ~500 at 1,000,000."""
    per_doctor = PER_DOCTOR_DAY * days + PER_DOCTOR_AHEAD
    return max(MIN_DOCTORS, math.ceil(APPOINTMENTS_PER_PATIENT * patients / per_doctor))


def expected_appointments(doctors: int, days: int) -> int:
    return int(doctors * (PER_DOCTOR_DAY * days + PER_DOCTOR_AHEAD))


def random_for(seed: int, *what: object) -> random.Random:
    """The random stream of one thing of the seed: a block of patients, one doctor's diary."""
    return random.Random(":".join(map(str, (seed, *what))))


def ascii_fold(text: str) -> str:
    """'Nguyễn' → 'nguyen', for email addresses."""
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    folded = folded.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    return "".join(c for c in folded.encode("ascii", "ignore").decode() if c.isalnum()).lower()


@dataclass
class DoctorSpec:
    number: int  # 0-based position among the seeded doctors
    first_name: str
    last_name: str
    specialty: int  # index into SPECIALTIES
    fee: Decimal
    hours: dict[int, list[tuple[int, int]]]  # weekday → [(first slot, end slot)]
    holidays: tuple[tuple[int, int], ...]  # (first day index, end day index), whole days
    afternoons_off: tuple[int, ...]  # day indexes with 13:00–18:00 off

    @property
    def days_off(self) -> set[int]:
        return {d for first, end in self.holidays for d in range(first, end)}


@dataclass
class Plan:
    """What to seed: sizes, seed, the calendar window and the doctors' diaries."""

    patients: int
    doctors: int
    days: int
    seed: int
    today: datetime.date
    tz: datetime.tzinfo
    first_mrn: int = 1
    first_code: int = 1
    doctor_specs: list[DoctorSpec] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        return self.days + FUTURE_DAYS

    @property
    def first_day(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.days)

    def day(self, index: int) -> datetime.date:
        return self.first_day + datetime.timedelta(days=index)


HALF_YEAR = 182


def plan_doctors(plan: Plan) -> list[DoctorSpec]:
    """Names, specialties, fees, weekly hours and time off of every seeded doctor."""
    rng = random_for(plan.seed, "doctors")
    weights = [s.weight for s in SPECIALTIES]
    specs = []
    for number in range(plan.doctors):
        # The first doctors cover every specialty once (D0001 is a family doctor).
        if number < len(SPECIALTIES):
            specialty = number
        else:
            specialty = rng.choices(range(len(SPECIALTIES)), weights)[0]
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        fee = SPECIALTIES[specialty].fee * rng.uniform(0.85, 1.3)
        pattern = rng.choices(WEEK_PATTERNS, WEEK_PATTERN_WEIGHTS)[0]
        holidays: list[tuple[int, int]] = []
        afternoons_off: list[int] = []
        # Each half year (or less) of the plan: maybe a holiday of 2–7 days, maybe a
        # conference afternoon. Holidays never overlap (one time-off row each).
        for half in range(0, plan.n_days, HALF_YEAR):
            span = min(HALF_YEAR, plan.n_days - half)
            if rng.random() < 0.35:
                start = half + rng.randrange(span)
                if not holidays or start >= holidays[-1][1]:
                    holidays.append((start, min(start + rng.randint(2, 7), plan.n_days)))
            if rng.random() < 0.2:
                afternoons_off.append(half + rng.randrange(span))
        specs.append(
            DoctorSpec(
                number=number,
                first_name=first,
                last_name=rng.choice(LAST_NAMES),
                specialty=specialty,
                fee=Decimal(5 * round(fee / 5)).quantize(Decimal("0.01")),
                hours=pattern,
                holidays=tuple(holidays),
                afternoons_off=tuple(afternoons_off),
            )
        )
    return specs


def is_child(index: int, seed: int) -> bool:
    """Whether patient `index` is in the paediatric pool: fixed before patients are generated,
    so appointments can be planned without them."""
    h = (index * 2654435761 + seed * 40503 + 12345) & 0xFFFFFFFF
    h = (h ^ (h >> 15)) * 2246822519 & 0xFFFFFFFF
    return (h ^ (h >> 13)) / 4294967296.0 < CHILD_SHARE


class Calendar:
    """Fast date and timestamp text for COPY: ordinals and epoch minutes to strings."""

    EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()

    def __init__(self, plan: Plan):
        self.base = plan.today.toordinal() - 110 * 366
        last = plan.today.toordinal() + FUTURE_DAYS + 2
        self.dates = [datetime.date.fromordinal(o).isoformat() for o in range(self.base, last + 1)]
        self.hm = [f"{m // 60:02d}:{m % 60:02d}:00+00" for m in range(1440)]
        self.today = plan.today.toordinal()
        self.first_day = plan.first_day.toordinal()
        # epoch minute of every half-hour slot start of every plan day, local time
        self.slot_minutes: list[list[int]] = []
        for d in range(plan.n_days):
            day = plan.day(d)
            self.slot_minutes.append(
                [
                    int(
                        datetime.datetime.combine(
                            day, datetime.time(s // 2, 30 * (s % 2)), tzinfo=plan.tz
                        ).timestamp()
                    )
                    // 60
                    for s in range(48)
                ]
            )

    def date(self, ordinal: int) -> str:
        return self.dates[ordinal - self.base]

    def ts(self, epoch_minute: int) -> str:
        d, m = divmod(epoch_minute, 1440)
        return f"{self.dates[d + self.EPOCH_ORDINAL - self.base]} {self.hm[m]}"


def pick(rnd: Callable[[], float], seq):
    return seq[int(rnd() * len(seq))]


@dataclass
class Lookups:
    """Database ids the row generators need."""

    medication_ids: dict[str, int]  # price-list name → id
    procedure_ids: dict[str, int]  # price-list name → id
    first_patient_id: int = 1
    doctor_ids: list[int] = field(default_factory=list)
