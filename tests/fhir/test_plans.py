"""A deep page costs what the first does: PostgreSQL starts it at the cursor's key on an index
(an Index Cond), never reading and skipping the rows before it. Checked with EXPLAIN on a
table big enough that the planner's own cost model decides."""

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


@pytest.fixture
def crowd(transactional_db):
    """Committed, so the owner role (only an owner may gather a table's statistics) sees it."""
    fill_patients_table(30_000)
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")


def plan_of(query: str, *, after: list | None) -> dict:
    """EXPLAIN of the rows query of a Patient search's page starting after the key `after`."""
    search = dataclasses.replace(parse_search(TYPES["Patient"], QueryDict(query)), after=after)
    _, rows = page_query(search)
    sql, params = rows[: search.count + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def test_a_deep_page_starts_at_its_key_on_the_primary_key(crowd):
    near_the_end = [Patient.objects.order_by("-pk").values_list("pk", flat=True)[50]]
    for query in ("", "gender=female", "_count=100"):
        for after in (None, near_the_end):
            plan = plan_of(query, after=after)
            kinds = [node["Node Type"] for node in nodes(plan)]
            scan = next(node for node in nodes(plan) if "Scan" in node["Node Type"])

            assert kinds[0] == "Limit" and "Sort" not in kinds, (query, kinds)
            assert scan["Node Type"] == "Index Scan", json.dumps(plan)
            assert scan["Index Name"] == "patients_patient_pkey"
            if after:
                assert "id" in scan["Index Cond"], scan
