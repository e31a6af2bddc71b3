"""The audit page's CSV export: the events under its filters (a date range), oldest first in
chain order with their hashes, streamed, and itself written to the audit log."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit_chain import GENESIS
from core.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = reverse("clinical:audit_csv")


def event_on(day: datetime.date, what: str, *, patient=None) -> AuditEvent:
    """An audit row written at noon (hospital time) of `day`, through the chain's trigger."""
    noon = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (created_at, updated_at, actor_username, action,"
            " object_type, object_id, object_repr, patient_id, changes, ip_address, path)"
            " VALUES (%s, %s, 'doctor', 'view', 'patients.patient', %s, %s, %s,"
            " '{\"seen\": true}', '10.0.0.7', '/clinical/patients/')"
            " RETURNING id",
            [noon, noon, str(getattr(patient, "pk", "")), what, getattr(patient, "pk", None)],
        )
        return AuditEvent.objects.get(pk=cursor.fetchone()[0])


def rows_of(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_it_exports_a_date_range_oldest_first_with_each_events_place_in_the_chain(
    login, admin_user
):
    client = login(admin_user)
    today = timezone.localdate()
    ada = PatientFactory(mrn="P0000042")
    event_on(today - datetime.timedelta(days=3), "before the range")
    yesterday = event_on(today - datetime.timedelta(days=1), "yesterday", patient=ada)
    event_on(today, "today")
    event_on(today + datetime.timedelta(days=1), "after the range")

    response = client.get(URL, {"date_from": today - datetime.timedelta(days=1), "date_to": today})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="audit_{today - datetime.timedelta(days=1)}_{today}.csv"'
    )
    rows = rows_of(response)
    assert [r["object"] for r in rows if r["user"] == "doctor"] == ["yesterday", "today"]
    first = next(r for r in rows if r["user"] == "doctor")
    assert first == {
        "position": str(yesterday.chain_seq),
        "id": str(yesterday.pk),
        "time": timezone.localtime(yesterday.created_at).isoformat(),
        "user": "doctor",
        "user_id": "",
        "action": "view",
        "object_type": "patients.patient",
        "object_id": str(ada.pk),
        "object": "yesterday",
        "patient_mrn": "P0000042",
        "patient_id": str(ada.pk),
        "address": "10.0.0.7",
        "path": "/clinical/patients/",
        "changes": '{"seen": true}',
        "previous_hash": AuditEvent.objects.get(chain_seq=yesterday.chain_seq - 1).row_hash,
        "hash": yesterday.row_hash,
    }
    assert rows[rows.index(first) + 1]["previous_hash"] == yesterday.row_hash
    # The export's own row comes last: it was written just before the rows were read.
    assert (rows[-1]["action"], rows[-1]["user"]) == ("export", "admin")
    assert rows[-1]["position"] == str(AuditEvent.objects.count())


def test_it_writes_the_export_to_the_audit_log_with_its_filters(login, admin_user):
    ada = PatientFactory(mrn="P0000042")
    event_on(timezone.localdate(), "seen", patient=ada)

    login(admin_user).get(URL, {"mrn": "p0000042", "date_from": "2026-01-01", "user": ""})

    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (export.actor_id, export.patient_id) == (admin_user.pk, ada.pk)
    assert export.changes == {
        "export": "audit log",
        "filters": {"mrn": "P0000042", "date_from": "2026-01-01"},
    }


def test_it_exports_the_whole_chain_without_filters(login, admin_user):
    client = login(admin_user)
    for what in ("first", "second"):
        event_on(timezone.localdate(), what)

    rows = rows_of(client.get(URL))

    assert [int(r["position"]) for r in rows] == list(range(1, AuditEvent.objects.count() + 1))
    assert "first" in [r["object"] for r in rows] and rows[0]["previous_hash"] == GENESIS
    assert [r["previous_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]


def test_it_streams_any_number_of_events_in_the_same_queries(login, admin_user):
    """Patients come with their events (no query per row), read 2,000 rows at a time."""
    client = login(admin_user)
    patient = PatientFactory()

    def export_of(count: int) -> tuple[int, int]:
        AuditEvent.objects.bulk_create(
            AuditEvent(action="view", patient=patient, object_repr=str(n)) for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            rows = rows_of(client.get(URL))
        return len(rows), len(queries)

    client.get(URL)  # the session's first write after sign-in (then at most once a minute)
    few_rows, few_queries = export_of(3)
    many_rows, many_queries = export_of(4500)

    assert many_rows - few_rows == 4500 + 1  # and the second export's own row
    assert many_queries == few_queries


def test_it_refuses_filters_the_page_would_refuse_and_writes_nothing(login, admin_user):
    response = login(admin_user).get(URL, {"mrn": "nobody"})

    assert response.status_code == 400
    assert "No patient has this MRN" in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_it_offers_the_export_of_what_the_page_shows(login, admin_user):
    client = login(admin_user)

    filtered = client.get(reverse("clinical:audit_list"), {"user": "doctor", "page": "2"})
    assert f'href="{URL}?user=doctor"' in filtered.text
    refused = client.get(reverse("clinical:audit_list"), {"mrn": "nobody"})
    assert "Export these events as CSV" not in refused.text
