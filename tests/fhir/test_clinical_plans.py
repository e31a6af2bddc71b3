"""A search of one patient's visits or history is an index range on the patient: PostgreSQL
reads that patient's rows from an index (an Index Cond on patient_id), never the table.
Checked with EXPLAIN on tables big enough that the planner's own cost model decides."""

import dataclasses
import json

import pytest
from django.db import connection
from django.http import QueryDict

from fhir.registry import TYPES
from fhir.search import page_query, parse_search
from hms.dbroles import as_owner
from patients.models import Patient
from tests.appointments.factories import fill_patients_table
from tests.factories import DoctorFactory

PATIENTS = 4000


@pytest.fixture
def crowd(transactional_db):
    """Committed, so the owner role (only an owner may gather statistics) sees it: 4,000
    patients with 20 history entries (five of each kind) and 5 visits each."""
    fill_patients_table(PATIENTS)
    doctor = DoctorFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO patients_medicalhistory (
                created_at, updated_at, patient_id, kind, description, recorded_on,
                is_billable, legacy_id)
            SELECT now(), now(), p.id,
                   (ARRAY['condition', 'surgery', 'medication', 'allergy'])[1 + n % 4],
                   'Entry ' || n, date '2000-01-01' + n * 100, true, ''
            FROM patients_patient p, generate_series(1, 20) AS n
            """
        )
        cursor.execute(
            """
            INSERT INTO appointments_appointment (
                created_at, updated_at, patient_id, doctor_id, start, "end", status, reason,
                cancel_reason)
            SELECT now(), now(), p.id, %s,
                   timestamptz '2000-01-01' + ((p.id * 5 + n) * interval '1 hour'),
                   timestamptz '2000-01-01' + ((p.id * 5 + n) * interval '1 hour')
                       + interval '30 minutes',
                   'completed', '', ''
            FROM patients_patient p, generate_series(1, 5) AS n
            """,
            [doctor.pk],
        )
        cursor.execute(
            """
            INSERT INTO appointments_attendance (
                created_at, updated_at, appointment_id, patient_id, checked_in_at, concerns,
                symptoms, diagnosis, notes)
            SELECT now(), now(), a.id, a.patient_id, a.start, '', '', '', ''
            FROM appointments_appointment a
            """
        )
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_medicalhistory")
        cursor.execute("ANALYZE appointments_attendance")
        cursor.execute("ANALYZE appointments_appointment")


def plan_of(type_name: str, query: str, *, user=None) -> dict:
    kind = TYPES[type_name] if user is None else TYPES[type_name].for_user(user)
    search = dataclasses.replace(parse_search(kind, QueryDict(query)), after=None)
    _, rows = page_query(search)
    sql, params = rows[: search.count + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


TABLES = {
    "Encounter": "appointments_attendance",
    "Condition": "patients_medicalhistory",
    "Procedure": "patients_medicalhistory",
    "MedicationStatement": "patients_medicalhistory",
    "AllergyIntolerance": "patients_medicalhistory",
}


def test_a_patients_search_reads_their_rows_from_an_index(crowd, billing_clerk):
    """Each type, and a billing clerk's narrowed Procedure and MedicationStatement searches.
    One test: the crowd takes a while to make."""
    patient = Patient.objects.order_by("pk").values_list("pk", flat=True)[PATIENTS // 2]
    cases = [(type_name, None) for type_name in TABLES]
    cases += [("Procedure", billing_clerk), ("MedicationStatement", billing_clerk)]
    for type_name, user in cases:
        plan = plan_of(type_name, f"patient={patient}", user=user)

        scans = [node for node in nodes(plan) if node.get("Relation Name") == TABLES[type_name]]
        assert len(scans) == 1, json.dumps(plan)
        assert scans[0]["Node Type"] in ("Index Scan", "Bitmap Heap Scan"), json.dumps(plan)
        conditions = " ".join(
            node.get("Index Cond", "") for node in nodes(plan) if "Index" in node["Node Type"]
        )
        assert "patient_id" in conditions, (type_name, json.dumps(plan))
