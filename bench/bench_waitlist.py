"""The waitlist's match after a cancellation against booking one appointment (goal: the match
at most 2 times one booking), with thousands of patients waiting.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_waitlist.py [--waiters 5000]

In one run, for doctors of their own (one specialty, weekday hours, a 30-minute grid) in the
database's hospital (bench/run.sh gives it the front-desk bench database):

* `--waiters` patients wait (default 5,000): four in five for one of the doctors, one in five
  for any doctor of the specialty; spread over the next eight weeks, some on some weekdays
  or hours only, with every priority;
* **one booking**: `appointment_book` of one free slot, for a new patient each time;
* **match after a cancellation**: `slot_freed` of a just-cancelled 30-minute visit (what
  `appointment_cancel` adds to a cancellation): the engine's free slots of that time, the
  first matching waiter of the doctor and of the specialty (two index probes), the offer.

Each figure is the median of `--rounds` runs; the ratio is match / one booking. It prints
the plan of the match's doctor probe: an index scan on waitlist_doctor_match_idx, no scan of
the table. What it writes is committed: point it at a database of its own, never a live
hospital.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments.models import Appointment, AppointmentStatus  # noqa: E402
from appointments.services import appointment_book  # noqa: E402
from appointments.waitlist.models import EVERY_DAY, WaitlistEntry  # noqa: E402
from appointments.waitlist.offers import first_waiter, slot_freed  # noqa: E402
from doctors.models import Doctor, Specialty, WorkingHours  # noqa: E402
from patients.models import Patient  # noqa: E402

GOAL = 2.0
DOCTORS = 20


def _doctors(tag: str) -> list[Doctor]:
    specialty = Specialty.objects.create(name=f"Waitlist bench {tag}")
    doctors = [
        Doctor.objects.create(
            code=f"W{tag}{n:02d}", first_name="Ada", last_name=f"Wait {n}", specialty=specialty
        )
        for n in range(DOCTORS)
    ]
    WorkingHours.objects.bulk_create(
        WorkingHours(
            doctor=doctor,
            weekday=weekday,
            start_time=datetime.time(8, 0),
            end_time=datetime.time(18, 0),
            slot_minutes=30,
            valid_from=timezone.localdate(),
        )
        for doctor in doctors
        for weekday in range(5)
    )
    return doctors


def _waiters(tag: str, doctors: list[Doctor], count: int) -> None:
    rng = random.Random(18)
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"WL-{tag}-{n}", first_name="Waiting", last_name=f"No {n}")
        for n in range(count)
    )
    today = timezone.localdate()
    entries = []
    for n, patient in enumerate(patients):
        first = today + datetime.timedelta(days=rng.randrange(0, 40))
        for_doctor = n % 5 != 0
        entries.append(
            WaitlistEntry(
                patient=patient,
                doctor=rng.choice(doctors) if for_doctor else None,
                specialty=None if for_doctor else doctors[0].specialty,
                day_from=first,
                day_to=first + datetime.timedelta(days=rng.randrange(3, 21)),
                weekdays=rng.choice((EVERY_DAY, EVERY_DAY, 0b10101, 0b01010)),
                earliest=rng.choice((None, None, datetime.time(8), datetime.time(13))),
                priority=rng.choice((1, 2, 3, 3, 3, 4)),
            )
        )
    WaitlistEntry.objects.bulk_create(entries)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_waitlistentry")


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _plan(doctor: Doctor, start: datetime.datetime) -> str:
    """EXPLAIN of the match's doctor probe."""
    with CaptureQueriesContext(connection) as queries:
        first_waiter(doctor=doctor, start=start, end=start + datetime.timedelta(minutes=30))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waiters", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=9, choices=range(1, 30))
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:6]
    doctors = _doctors(tag)
    _waiters(tag, doctors, args.waiters)
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())  # next week's Monday

    def patient(n: int) -> Patient:
        return Patient.objects.create(mrn=f"WLB-{tag}-{n}", first_name="Booked", last_name=str(n))

    # Warm up: the first query of a process pays for its connection and caches.
    appointment_book(patient=patient(0), doctor=doctors[0], start=_at(monday, 8), by=None)
    singles, matches, offers = [], [], 0
    for n in range(1, args.rounds + 1):
        doctor = doctors[n % DOCTORS]
        day = monday + datetime.timedelta(days=n % 5, weeks=n % 3)
        booked, start = patient(n), _at(day, 9 + n % 8)
        began = time.perf_counter()
        appointment_book(patient=booked, doctor=doctor, start=start, by=None)
        singles.append(time.perf_counter() - began)
        # A visit cancelled (its status only: the hook is what is measured, by itself).
        visit = appointment_book(
            patient=patient(100 + n), doctor=doctor, start=_at(day, 9 + n % 8, 30), by=None
        )
        Appointment.objects.filter(pk=visit.pk).update(status=AppointmentStatus.CANCELLED)
        began = time.perf_counter()
        made = slot_freed(doctor_id=visit.doctor_id, start=visit.start, end=visit.end)
        matches.append(time.perf_counter() - began)
        offers += len(made)
    one, match = statistics.median(singles), statistics.median(matches)
    ratio = match / one
    plan = _plan(doctors[1], _at(monday, 10))
    probe = (
        "waitlist_doctor_match_idx" in plan and "Seq Scan on appointments_waitlistentry" not in plan
    )
    print(f"{args.waiters} waiters, {DOCTORS} doctors, {args.rounds} rounds each, medians")
    print(f"{'what':<48} {'ms':>8}")
    print(f"{'one booking (appointment_book)':<48} {one * 1000:>8.1f}")
    print(f"{'match after a cancellation (slot_freed)':<48} {match * 1000:>8.1f}")
    print(f"Offers made: {offers} of {args.rounds} freed slots")
    print(f"Match plan: {'index probe on waitlist_doctor_match_idx' if probe else 'NOT a probe'}")
    print(plan)
    verdict = "PASS" if ratio <= GOAL and probe else "FAIL"
    print(f"Match / one booking: {ratio:.2f}x (goal <= {GOAL:.0f}x) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
