"""The chart of a patient with a long record against a new patient's and the bare baseline.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_chart.py [--rounds 20]

The patient with a long record has VISITS visits (completed appointments, each with its notes)
and ENTRIES history entries (conditions and medications, all but the latest resolved or
stopped; surgeries; a few allergies); made once in the bench database (bulk inserts, untimed)
and kept, found again by their legacy ids. The new patient has none. An administrator (second
step passed) opens each chart, as a doctor does, through the whole middleware and the chart's
audit row, `--rounds` times after a warm-up, with the bare baseline view (bench/urls.py: one
primary-key SELECT behind the same middleware) fetched between them.

Goals (issue #17), marked PASS/FAIL: the long record's chart in at most 5x the baseline's time,
and at most 1.5x the new patient's chart; the query counts are printed beside (they must not
grow with the record). The exit status is 1 when a goal fails or a page does not answer 200.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments.models import Appointment, AppointmentStatus, Attendance  # noqa: E402
from bench.bench_reports import _admin_client  # noqa: E402
from bench.sizes import mark  # noqa: E402
from doctors.models import Doctor, Specialty  # noqa: E402
from patients.models import HistoryKind, MedicalHistory, Patient  # noqa: E402

VISITS, ENTRIES = 500, 2000
LONG, NEW = "bench-chart-long-3", "bench-chart-new"
TIME_GOAL, NEW_GOAL = 5.0, 1.5


def _patient(legacy_id: str, last_name: str) -> Patient:
    from patients.services import mrn_block

    found = Patient.objects.filter(legacy_id=legacy_id).first()
    if found is not None:
        return found
    return Patient.objects.create(
        mrn=mrn_block(count=1)[0],
        first_name="Chart",
        last_name=last_name,
        date_of_birth=datetime.date(1950, 6, 1),
        sex="female",
        legacy_id=legacy_id,
    )


@transaction.atomic
def _long_record(patient: Patient) -> None:
    """VISITS completed visits a day apart, and ENTRIES history entries over them."""
    if Attendance.objects.filter(patient=patient).exists():
        return
    specialty, _ = Specialty.objects.get_or_create(name="Chart bench")
    doctor, _ = Doctor.objects.get_or_create(
        code="DCHART3",
        defaults={"first_name": "Bea", "last_name": "Bench", "specialty": specialty},
    )
    first = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    first -= datetime.timedelta(days=VISITS + 1)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            doctor=doctor,
            start=first + datetime.timedelta(days=day),
            end=first + datetime.timedelta(days=day, minutes=30),
            status=AppointmentStatus.COMPLETED,
            reason=f"Review {day}",
        )
        for day in range(VISITS)
    )
    visits = Attendance.objects.bulk_create(
        Attendance(
            appointment=a,
            patient=patient,
            checked_in_at=a.start,
            started_at=a.start,
            completed_at=a.end,
            concerns=f"Follow-up {n}",
            symptoms="Tired, short of breath on stairs",
            diagnosis="Stable",
            notes="Continue as before; review in a month. " * 3,
        )
        for n, a in enumerate(appointments)
    )
    kinds = [HistoryKind.CONDITION] * 10 + [HistoryKind.MEDICATION] * 8 + [HistoryKind.SURGERY]
    entries = []
    for n in range(ENTRIES):
        visit = visits[n % VISITS]
        kind = kinds[n % len(kinds)] if n % 400 else HistoryKind.ALLERGY
        day = timezone.localdate(visit.appointment.start)
        # As a long illness goes: what the last visits found is current (about ten
        # problems and eight medications), what came before resolved or stopped.
        ended = kind in (HistoryKind.CONDITION, HistoryKind.MEDICATION) and n < ENTRIES - 20
        entries.append(
            MedicalHistory(
                patient=patient,
                kind=kind,
                description=f"{kind.label} {n % 97}",
                recorded_on=day,
                attendance=visit,
                ended_on=day + datetime.timedelta(days=30) if ended else None,
                is_billable=kind != HistoryKind.CONDITION,
            )
        )
    MedicalHistory.objects.bulk_create(entries)


def _fetch(client, path: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return seconds, len(queries.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = max(1, parser.parse_args().rounds)
    long, new = _patient(LONG, "Longrecord"), _patient(NEW, "Newcomer")
    _long_record(long)
    client = _admin_client()
    paths = {
        "baseline: bare view": f"/bench/baseline/{new.pk}/",
        f"chart, {VISITS} visits and {ENTRIES} entries": reverse("clinical:chart", args=[long.pk]),
        "chart, a new patient": reverse("clinical:chart", args=[new.pk]),
    }
    times: dict[str, list[float]] = {label: [] for label in paths}
    queries: dict[str, int] = {}
    for path in paths.values():
        _fetch(client, path)  # warm-up
    for _ in range(rounds):
        for label, path in paths.items():
            seconds, queries[label] = _fetch(client, path)
            times[label].append(seconds)
    median = {label: statistics.median(t) for label, t in times.items()}
    base, long_label, new_label = list(paths)
    print(f"The chart ({rounds} rounds, medians):")
    print(f"{'page':38s} {'median ms':>10s} {'x baseline':>11s} {'queries':>8s}")
    for label in paths:
        print(
            f"{label:38s} {median[label] * 1000:10.1f} {median[label] / median[base]:11.2f} "
            f"{queries[label]:8d}"
        )
    to_base = median[long_label] / median[base]
    to_new = median[long_label] / median[new_label]
    ok = to_base <= TIME_GOAL and to_new <= NEW_GOAL
    print(
        f"long record / baseline: {to_base:.2f} (goal <= {TIME_GOAL})  {mark(to_base <= TIME_GOAL)}"
    )
    print(
        f"long record / new patient: {to_new:.2f} (goal <= {NEW_GOAL})  {mark(to_new <= NEW_GOAL)}"
    )
    print(f"All goals: {mark(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
