"""A Slot search costs the same whatever the number of patients and appointments: each query
the availability engine makes for it reads the doctor's rows of the window from an index,
never the doctor's whole history. Checked with EXPLAIN ANALYZE on a doctor with years of
past appointments, committed and analysed so the planner's own cost model decides."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from hms.dbroles import as_owner
from tests.appointments.factories import doctor_with_hours
from tests.factories import PatientFactory, TimeOffFactory
from tests.fhir.conftest import entries, parsed, url

HISTORY = 40_000  # past half-hour appointments of the doctor, back to back
COLLEAGUES = 6  # other doctors, each booked back to back for the coming week
AHEAD = 7 * 48


@pytest.fixture
def busy_doctor(transactional_db):
    doctor = doctor_with_hours(weekdays=range(7), start=datetime.time(8, 0))
    patient = PatientFactory()
    for _ in range(COLLEAGUES):
        colleague = doctor_with_hours(weekdays=range(7))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO appointments_appointment
                    (created_at, updated_at, patient_id, doctor_id, start, "end", status,
                     reason, cancel_reason)
                SELECT now(), now(), %(patient)s, %(doctor)s,
                       date_trunc('day', now()) + n * interval '30 minutes',
                       date_trunc('day', now()) + (n + 1) * interval '30 minutes',
                       'scheduled', '', ''
                FROM generate_series(1, %(count)s) AS n
                """,
                {"patient": PatientFactory().pk, "doctor": colleague.pk, "count": AHEAD},
            )
    for weeks in range(1, 40):  # a year of past time off too, one day a week
        start = timezone.now() - datetime.timedelta(weeks=weeks)
        TimeOffFactory(doctor=doctor, start=start, end=start + datetime.timedelta(hours=8))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO appointments_appointment
                (created_at, updated_at, patient_id, doctor_id, start, "end", status, reason,
                 cancel_reason)
            SELECT now(), now(), %(patient)s, %(doctor)s,
                   date_trunc('day', now()) - n * interval '30 minutes',
                   date_trunc('day', now()) - (n - 1) * interval '30 minutes',
                   'completed', '', ''
            FROM generate_series(1, %(count)s) AS n
            """,
            {"patient": patient.pk, "doctor": doctor.pk, "count": HISTORY},
        )
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_appointment")
        cursor.execute("ANALYZE doctors_timeoff")
    return doctor


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def rows_read(sql: str, params) -> dict[str, int]:
    """Rows each table's scans touched (returned, or read and filtered out), by EXPLAIN
    ANALYZE of the query."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    touched: dict[str, int] = {}
    for node in nodes(plan):
        if "Relation Name" in node:
            read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            read += node.get("Rows Removed by Index Recheck", 0)
            touched[node["Relation Name"]] = touched.get(node["Relation Name"], 0) + read
    return touched


def test_a_slot_search_reads_only_the_window_of_the_doctors_rows(busy_doctor, api):
    with CaptureQueriesContext(connection) as queries:
        bundle = parsed(api(url("slot_search"), schedule=busy_doctor.pk, _count="100"), Bundle)
    assert len(entries(bundle)) == 100

    engine = [
        q["sql"]
        for q in queries.captured_queries
        if "appointments_appointment" in q["sql"] or "doctors_timeoff" in q["sql"]
    ]
    assert engine, [q["sql"] for q in queries.captured_queries]
    for sql in engine:
        # The captured SQL has its values inlined; EXPLAIN it as it ran.
        touched = rows_read(sql, None)
        assert all(read < 100 for read in touched.values()), (sql, json.dumps(touched))
