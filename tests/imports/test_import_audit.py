"""Every record an import updates gets an audit row with each changed field before and after,
as an edit by hand does, all written with one statement (a COPY); the check lists the same
changes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment
from core.models import AuditEvent
from imports.services import workbook_import
from patients.models import MedicalHistory, Patient
from tests.factories import UserFactory
from tests.imports.helpers import SAMPLE_CSV, copy_sample, sample_rows

pytestmark = pytest.mark.django_db


def _changed_sample(folder):
    """The sample with one patient's phone, one appointment's status, one history condition
    and one price changed."""
    patient = sample_rows("Patient")[3]
    appointment = next(r for r in sample_rows("Appointment") if r["Status"] == "Scheduled")

    def change(sheet, rows):
        if sheet == "Patient":
            rows[3]["Contact"] = "555-000-0000"
        if sheet == "Appointment":
            row = next(r for r in rows if r["AppointmentID"] == appointment["AppointmentID"])
            row["Status"] = "Cancelled"
        if sheet == "MedicalHistory":
            rows[0]["Condition"] = "Gout"
        if sheet == "Medication_Cost":
            rows[0]["Cost_in$"] = "99.99"

    return copy_sample(folder, change), patient, appointment


def test_it_writes_an_audit_row_per_updated_record_without_a_query_per_row(tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    folder, patient_row, appointment_row = _changed_sample(tmp_path / "changed")
    clerk = UserFactory(username="clerk")

    with CaptureQueriesContext(connection) as queries:
        report = workbook_import(path_or_file=folder, by=clerk)

    assert report.written, report.errors
    # The import's own summary row; the rows of the records changed go in with one COPY.
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
    assert len(inserts) == 1
    updates = AuditEvent.objects.filter(action="update").order_by("id")
    assert {e.object_type for e in updates} == {
        "patients.patient",
        "appointments.appointment",
        "patients.medicalhistory",
        "billing.medicationcost",
    }
    assert all(e.actor == clerk for e in updates)
    patient = Patient.objects.get(mrn=patient_row["PatientID"])
    event = updates.get(object_type="patients.patient")
    assert (event.object_id, event.patient_id) == (str(patient.pk), patient.pk)
    assert event.object_repr == f"{patient.first_name} {patient.last_name} ({patient.mrn})"
    assert event.changes["phone"] == {"before": patient_row["Contact"], "after": "555-000-0000"}
    assert set(event.changes) == {"phone", "imported_from"}
    appointment = Appointment.objects.get(legacy_id=appointment_row["AppointmentID"])
    event = updates.get(object_type="appointments.appointment")
    assert (event.object_id, event.patient_id) == (str(appointment.pk), appointment.patient_id)
    assert event.changes["status"] == {"before": "scheduled", "after": "cancelled"}
    entry = MedicalHistory.objects.get(description="Gout")
    event = updates.get(object_type="patients.medicalhistory")
    assert (event.object_id, event.patient_id) == (str(entry.pk), entry.patient_id)
    condition = sample_rows("MedicalHistory")[0]["Condition"]
    assert event.changes["description"] == {"before": condition, "after": "Gout"}
    event = updates.get(object_type="billing.medicationcost")
    price = sample_rows("Medication_Cost")[0]["Cost_in$"]
    assert event.changes["unit_cost"]["after"] == "99.99"
    assert event.changes["unit_cost"]["before"].rstrip("0") == price.rstrip("0")


def test_it_shows_each_update_before_and_after_on_the_check(tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    folder, patient_row, appointment_row = _changed_sample(tmp_path / "changed")

    report = workbook_import(path_or_file=folder, dry_run=True)

    changes = {block["sheet"]: block for block in report.changes}
    patients = changes["Patient"]
    assert patients["total"] == 1
    [change] = patients["shown"]
    assert change["key"] == patient_row["PatientID"]
    assert change["fields"] == [["Phone", patient_row["Contact"], "555-000-0000"]]
    [change] = changes["Appointment"]["shown"]
    assert change["fields"] == [["Status", "scheduled", "cancelled"]]
    assert not AuditEvent.objects.filter(action="update").exists()


def test_it_writes_no_update_row_when_nothing_changes():
    workbook_import(path_or_file=SAMPLE_CSV)

    workbook_import(path_or_file=SAMPLE_CSV)

    assert not AuditEvent.objects.filter(action="update").exists()
