"""Booking a recurring series against booking one appointment (goal: a 52-week weekly series,
every occurrence checked, at most 20 times one booking).

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_series.py [--rounds 5]

In one run, for a doctor of its own (weekday hours, a 30-minute grid) in the database's
hospital (bench/run.sh gives it the front-desk bench database, 200,000 patients):

* **one booking**: `appointment_book` of one free slot, for a new patient each time;
* **series of 52**: `series_book` of "every week for 52 weeks", for a new patient each time:
  the rule read, every occurrence checked by the availability engine (and the booking
  service's rules for any it does not offer), then 52 appointments, their history and audit
  rows and the patient's message written in one transaction.

Each figure is the median of `--rounds` runs; the ratio is series / one booking. What it
books is committed: point it at a database of its own, never a live hospital.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from appointments.services import appointment_book, series_book  # noqa: E402
from doctors.models import Doctor, Specialty, WorkingHours  # noqa: E402
from patients.models import Patient  # noqa: E402

GOAL = 20.0
WEEKS = 52


def _doctor(tag: str) -> Doctor:
    specialty, _ = Specialty.objects.get_or_create(name="Series bench")
    doctor = Doctor.objects.create(
        code=f"S{tag}", first_name="Ada", last_name=f"Series {tag}", specialty=specialty
    )
    for weekday in range(5):
        WorkingHours.objects.create(
            doctor=doctor,
            weekday=weekday,
            start_time=datetime.time(8, 0),
            end_time=datetime.time(18, 0),
            slot_minutes=30,
            valid_from=timezone.localdate(),
        )
    return doctor


def _patient(tag: str, n: int) -> Patient:
    return Patient.objects.create(mrn=f"SER-{tag}-{n}", first_name="Patient", last_name=f"No {n}")


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _timed(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 9))
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:8]
    doctor = _doctor(tag)
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())  # next week's Monday

    # Warm up: the first query of a process pays for its connection and caches.
    appointment_book(patient=_patient(tag, 0), doctor=doctor, start=_at(monday, 8), by=None)
    singles, series = [], []
    for n in range(1, args.rounds + 1):
        # One booking on a Monday, and a series on another weekday (Tuesday to Friday) and
        # hour each round: they never clash.
        patient = _patient(tag, n)
        singles.append(
            _timed(
                lambda p=patient, n=n: appointment_book(
                    patient=p,
                    doctor=doctor,
                    start=_at(monday + datetime.timedelta(weeks=n), 8),
                    by=None,
                )
            )
        )
        patient = _patient(tag, 100 + n)
        start = _at(monday + datetime.timedelta(days=1 + n % 4), 9 + n)
        series.append(
            _timed(
                lambda p=patient, s=start: series_book(
                    patient=p, doctor=doctor, start=s, rule=f"FREQ=WEEKLY;COUNT={WEEKS}", by=None
                )
            )
        )
    one, many = statistics.median(singles), statistics.median(series)
    ratio = many / one
    print(f"{args.rounds} rounds each, medians, doctor {doctor.code}")
    print(f"{'what':<44} {'ms':>8}")
    print(f"{'one booking (appointment_book)':<44} {one * 1000:>8.1f}")
    print(f"{f'series of {WEEKS} weekly (series_book)':<44} {many * 1000:>8.1f}")
    verdict = "PASS" if ratio <= GOAL else "FAIL"
    print(f"Series / one booking: {ratio:.1f}x (goal <= {GOAL:.0f}x) {verdict}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
