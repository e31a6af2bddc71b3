"""Appointment-patterns report and the appointment roll-ups' insert cost, at growing sizes.
Run: HMS_TEST_DATABASE_NAME=test_patbench .venv/bin/pytest -c pyproject.toml -q -s -p no:randomly \
     bench/measure_patterns.py
PAT_SIZES="20:10000,200:100000" picks the sizes (doctors:appointments); PAT_FK=1 puts the
roll-ups' foreign keys to the doctor back (to measure what they cost)."""

import datetime
import os
import time

import pytest
from django.db import connection

from hms.dbroles import as_owner
from reports import selectors
from tests.factories import DoctorFactory, PatientFactory

TODAY = datetime.date(2025, 12, 31)
P90 = {"date_from": TODAY - datetime.timedelta(days=89), "date_to": TODAY}
LATER = TODAY + datetime.timedelta(days=800)  # the insert-cost rows: days of their own
SIZES = [
    tuple(int(x) for x in s.split(":"))
    for s in os.environ.get("PAT_SIZES", "20:10000,200:100000").split(",")
]

INSERT = """
    INSERT INTO appointments_appointment (created_at, updated_at, patient_id, doctor_id,
        start, "end", status, reason, cancel_reason)
    SELECT s - make_interval(days => i %% 45, mins => i %% 600), s,
           (%(pids)s::bigint[])[1 + i %% %(np)s], (%(dids)s::bigint[])[1 + i %% %(nd)s],
           s, s + interval '25 minutes',
           (ARRAY['completed','completed','completed','completed','completed',
                  'completed','cancelled','no_show','scheduled','checked_in'])[1 + i %% 10],
           '', ''
    FROM generate_series(%(first)s, %(first)s + %(n)s - 1) i,
         LATERAL (SELECT (%(last)s::date - ((i / %(nd)s) %% 365))::timestamp
                         AT TIME ZONE 'UTC'
                         + make_interval(hours => 8, mins => 30 * ((i / %(nd)s) / 365) %% 600)
                  AS s) t
"""


def _foreign_keys() -> None:
    """PAT_FK=1: the roll-ups' foreign keys to the doctor back, as 0004 had them."""
    with as_owner(connection), connection.cursor() as c:
        for table in ("appointments_doctordaycount", "appointments_doctorleadcount"):
            c.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_fk FOREIGN KEY (doctor_id) "
                "REFERENCES doctors_doctor (id) DEFERRABLE INITIALLY DEFERRED"
            )


def _fill(doctors: int, appointments: int) -> tuple[dict, float]:
    if os.environ.get("PAT_FK"):
        _foreign_keys()
    ds = [DoctorFactory() for _ in range(doctors)]
    p = PatientFactory()
    with connection.cursor() as c:
        c.execute(
            "SELECT string_agg(quote_ident(column_name), ',') FROM information_schema.columns "
            "WHERE table_name = 'patients_patient' AND column_name NOT IN ('id', 'mrn')"
        )
        cols = c.fetchone()[0]
        c.execute(
            f"INSERT INTO patients_patient (mrn, {cols}) SELECT 'B' || g, {cols} "
            f"FROM patients_patient, generate_series(1, %s) g WHERE id = %s",
            [2 * doctors + 100, p.pk],
        )
        c.execute("SELECT array_agg(id ORDER BY id) FROM patients_patient")
        pids = c.fetchone()[0]
    args = {"pids": pids, "np": len(pids), "dids": [d.pk for d in ds], "nd": doctors, "last": TODAY}
    with connection.cursor() as c:
        started = time.perf_counter()
        c.execute(INSERT, {**args, "first": 0, "n": appointments})
        took = time.perf_counter() - started
    with as_owner(connection), connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
    return args, took


def _insert_cost(args: dict, rows: int, single: bool) -> float:
    """µs per appointment inserted (rolled back), in one statement or one per row."""
    with connection.cursor() as c:
        c.execute("BEGIN")
        started = time.perf_counter()
        if single:
            for i in range(rows):
                c.execute(INSERT, {**args, "first": i, "n": 1, "last": LATER})
        else:
            c.execute(INSERT, {**args, "first": 0, "n": rows, "last": LATER})
        took = time.perf_counter() - started
        c.execute("ROLLBACK")
    return took / rows * 1e6


def _triggers(on: bool) -> None:
    with as_owner(connection), connection.cursor() as c:
        c.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'appointments_appointment'::regclass"
            " AND tgname LIKE 'appointments_rollup_%%' AND tgname <> 'appointments_rollup_truncate'"
        )
        for (name,) in c.fetchall():
            c.execute(
                f"ALTER TABLE appointments_appointment {'ENABLE' if on else 'DISABLE'} "
                f"TRIGGER {name}"
            )


def _best(fn, n=5) -> float:
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


CASES = [
    (
        "patterns (90 d)",
        lambda: list(selectors.appointment_patterns_report(limit=2001, **P90).rows),
    ),
    ("patterns (all)", lambda: list(selectors.appointment_patterns_report(limit=2001).rows)),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_measure(size):
    args, took = _fill(*size)
    print(f"\n{size[1]:,} appointments, {size[0]} doctors: bulk fill with triggers {took:.2f} s")
    for name, fn in CASES:
        print(f"  {name:18} {_best(fn):8.1f} ms")
    rows = list(selectors.appointment_patterns_report(**P90).rows)
    print("  overall 90 d:", rows[0][6:])
    for single, n in ((False, 20_000), (True, 300)):
        with_t = min(_insert_cost(args, n, single) for _ in range(3))
        _triggers(False)
        try:
            without = min(_insert_cost(args, n, single) for _ in range(3))
        finally:
            _triggers(True)
        kind = "one statement" if not single else "one row per statement"
        print(
            f"  insert {kind:22}: {with_t:7.1f} µs/appt with triggers, {without:6.1f} without"
            f" -> triggers {with_t - without:6.1f} µs"
        )
