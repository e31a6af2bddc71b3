"""Patient services: MRN assignment, the audit trail of patient changes, concurrent registration."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from patients.models import Patient
from patients.services import patient_create, patient_update
from tests.concurrency import run_concurrently
from tests.factories import PatientFactory

# --- MRNs and the audit log -----------------------------------------------------------------


def test_it_assigns_sequential_mrns(db, admin_user):
    PatientFactory(mrn="P0000041")
    PatientFactory(mrn="LEGACY-99999")
    PatientFactory(mrn="P123")

    first = patient_create(first_name="Ann", last_name="Lee", by=admin_user)
    second = patient_create(data={"first_name": "Bo", "last_name": "Chen"}, by=admin_user)
    imported = patient_create(first_name="Cy", last_name="Diaz", mrn="PID-7", by=admin_user)

    assert (first.mrn, second.mrn, imported.mrn) == ("P0000042", "P0000043", "PID-7")


def test_it_starts_mrns_at_one(db):
    assert patient_create(first_name="Ann", last_name="Lee", by=None).mrn == "P0000001"


def test_it_audits_patient_changes_before_and_after(db, admin_user):
    patient = patient_create(
        first_name="Ann", last_name="Lee", date_of_birth=datetime.date(1980, 5, 1), by=None
    )

    patient_update(
        patient=patient,
        data={"phone": "555-0101", "date_of_birth": datetime.date(1981, 5, 1), "last_name": "Lee"},
        by=admin_user,
    )

    created, updated = AuditEvent.objects.filter(patient_id=patient.pk).order_by("id")
    assert created.action == AuditEvent.Action.CREATE
    assert created.changes["mrn"] == {"before": None, "after": patient.mrn}
    assert updated.changes == {
        "phone": {"before": "", "after": "555-0101"},
        "date_of_birth": {"before": "1980-05-01", "after": "1981-05-01"},
    }
    assert updated.actor_id == admin_user.pk
    assert Patient.objects.get(pk=patient.pk).phone == "555-0101"


def test_it_rejects_an_invalid_patient_without_writing(db):
    with pytest.raises(ValidationError) as caught:
        patient_create(first_name="", last_name="Lee", email="not-an-email", by=None)

    assert set(caught.value.error_dict) == {"first_name", "email"}
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


# --- real concurrency: separate connections, committed transactions ----------------------------
# The flush after a transactional test empties the tables; core's post_migrate handler brings
# the role groups back for the tests that run after these.


@pytest.mark.django_db(transaction=True)
def test_it_gives_concurrent_registrations_distinct_mrns():
    results, errors = run_concurrently(
        4,
        lambda i: patient_create(first_name=f"C{i}", last_name="Race", by=None).mrn,
    )

    assert errors == []
    assert sorted(results) == ["P0000001", "P0000002", "P0000003", "P0000004"]
