"""Writing several audit events at once (`core.audit.audit_record_many`, `core.audit.batch`)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.audit import AuditEntry, audit_record, audit_record_many, batch, request_context
from core.models import AuditEvent
from tests.factories import MedicalHistoryFactory, PatientFactory


def test_it_writes_many_events_with_one_insert(db, admin_user, django_assert_num_queries):
    patient = PatientFactory()
    entry = MedicalHistoryFactory(patient=patient)
    request = RequestFactory().post("/clinical/visits/1/complete/", REMOTE_ADDR="10.1.2.3")

    with request_context(request), django_assert_num_queries(1):
        audit_record_many(
            actor=admin_user,
            entries=[
                AuditEntry(action=AuditEvent.Action.UPDATE, obj=patient, changes={"phone": 1}),
                AuditEntry(action=AuditEvent.Action.CREATE, obj=entry),
            ],
        )

    updated, created = AuditEvent.objects.order_by("id")
    assert [e.action for e in (updated, created)] == ["update", "create"]
    assert {e.actor_id for e in (updated, created)} == {admin_user.pk}
    assert {e.patient_id for e in (updated, created)} == {patient.pk}
    assert (created.object_type, created.object_id) == ("patients.medicalhistory", str(entry.pk))
    assert {(e.ip_address, e.path) for e in (updated, created)} == {
        ("10.1.2.3", "/clinical/visits/1/complete/")
    }
    assert updated.changes == {"phone": 1}


def test_it_writes_the_same_row_as_one_event_at_a_time(db, admin_user):
    entry = MedicalHistoryFactory()
    fields = [
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

    single = audit_record(actor=admin_user, action=AuditEvent.Action.VIEW, obj=entry)
    (many,) = audit_record_many(
        actor=admin_user, entries=[AuditEntry(action=AuditEvent.Action.VIEW, obj=entry)]
    )

    rows = AuditEvent.objects.filter(pk__in=[single.pk, many.pk]).order_by("id")
    first, second = rows.values(*fields)
    assert first == second


def test_it_writes_nothing_for_no_entries_and_drops_an_anonymous_actor(
    db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert audit_record_many(actor=AnonymousUser(), entries=[]) == []

    (event,) = audit_record_many(
        actor=AnonymousUser(), entries=[AuditEntry(action=AuditEvent.Action.VIEW)]
    )
    event.refresh_from_db()
    assert (event.actor_id, event.actor_username) == (None, "")


def test_it_writes_the_rows_of_a_batch_with_one_insert_in_order(
    db, admin_user, django_assert_num_queries
):
    patient = PatientFactory()
    entry = MedicalHistoryFactory(patient=patient)

    with django_assert_num_queries(1), batch():
        audit_record(actor=admin_user, action=AuditEvent.Action.UPDATE, obj=patient)
        with batch():  # a service called by a service joins its caller's batch
            audit_record_many(
                actor=admin_user, entries=[AuditEntry(action=AuditEvent.Action.CREATE, obj=entry)]
            )
        audit_record(actor=admin_user, action=AuditEvent.Action.VIEW, obj=entry)

    events = AuditEvent.objects.order_by("id")
    assert [(e.action, e.object_type) for e in events] == [
        ("update", "patients.patient"),
        ("create", "patients.medicalhistory"),
        ("view", "patients.medicalhistory"),
    ]


def test_it_writes_no_row_of_a_batch_left_by_an_error(db, admin_user):
    patient = PatientFactory()

    with pytest.raises(ValueError), batch():
        audit_record(actor=admin_user, action=AuditEvent.Action.UPDATE, obj=patient)
        raise ValueError("the service failed")

    assert not AuditEvent.objects.exists()
    audit_record(actor=admin_user, action=AuditEvent.Action.VIEW, obj=patient)
    assert AuditEvent.objects.count() == 1


def test_it_records_the_client_address_and_path(db, admin_user):
    request = RequestFactory().get("/patients/1/", REMOTE_ADDR="10.1.2.3")

    event = audit_record(
        actor=admin_user, action=AuditEvent.Action.VIEW, obj=admin_user, request=request
    )

    event.refresh_from_db()
    assert (event.ip_address, event.path) == ("10.1.2.3", "/patients/1/")
    assert (event.object_type, event.object_id) == ("auth.user", str(admin_user.pk))
