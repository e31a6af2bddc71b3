"""`core.audit.audit_record_stream`: very many audit rows (an import's) with one COPY, each the
row `audit_record` would write, chained by the database like any other."""

from django.test import RequestFactory

from core.audit import AuditEntry, audit_record, audit_record_stream, request_context
from core.audit_chain import chain_verify
from core.models import AuditEvent
from patients.models import MedicalHistory
from tests.factories import MedicalHistoryFactory

FIELDS = [
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "patient_id",
    "changes",
    "ip_address",
    "path",
]


def test_it_writes_the_same_rows_as_one_event_at_a_time(db, admin_user):
    entry = MedicalHistoryFactory()
    request = RequestFactory().post("/imports/1/confirm/", REMOTE_ADDR="10.1.2.3")
    changes = {"description": {"before": "Asthma", "after": "Gout"}}

    with request_context(request):
        audit_record(actor=admin_user, action=AuditEvent.Action.UPDATE, obj=entry, changes=changes)
        written = audit_record_stream(
            actor=admin_user,
            entries=[AuditEntry(action=AuditEvent.Action.UPDATE, obj=entry, changes=changes)],
        )

    assert written == 1
    first, second = AuditEvent.objects.order_by("id").values(*FIELDS)
    assert first == second
    assert second["patient_id"] == entry.patient_id


def test_it_names_an_unsaved_stand_in_as_told_without_reading_it(
    db, admin_user, django_assert_num_queries
):
    entry = MedicalHistoryFactory()
    stand_in = MedicalHistory(pk=entry.pk, patient_id=entry.patient_id)
    entries = (
        AuditEntry(
            action=AuditEvent.Action.UPDATE,
            obj=stand_in,
            changes={"n": {"before": n, "after": n + 1}},
            object_repr=f"H{n} condition",
        )
        for n in range(500)
    )

    with django_assert_num_queries(0):  # the COPY passes outside Django's query log
        audit_record_stream(actor=admin_user, entries=entries)

    events = AuditEvent.objects.order_by("id")
    assert events.count() == 500
    assert [e.object_repr for e in events[:2]] == ["H0 condition", "H1 condition"]
    assert {e.patient_id for e in events} == {entry.patient_id}
    assert events[499].changes == {"n": {"before": 499, "after": 500}}
    assert chain_verify().intact
