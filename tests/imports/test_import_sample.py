"""Importing the sample workbook (xlsx and CSV folder), re-importing it, changing it."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatusChange, Attendance
from billing.models import InvoiceLine, MedicationCost
from core.models import AuditEvent
from doctors.models import Doctor, Specialty
from imports.services import workbook_import
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision, Patient
from tests.factories import UserFactory
from tests.imports.helpers import SAMPLE_CSV, SAMPLE_XLSX, copy_sample, sample_rows

pytestmark = pytest.mark.django_db

NOTHING = {"", "none", "n/a", "-"}
STATUS = {
    "scheduled": "scheduled",
    "completed": "completed",
    "cancelled": "cancelled",
    "no-show": "no_show",
    "no show": "no_show",
}
IMPORTED = (MedicationCost, Specialty, Doctor, Patient, Appointment, Attendance, MedicalHistory)


def _expected() -> dict:
    """What the sample should become, computed from its CSV files with the csv module."""
    prices = {
        r["Medication"].strip().lower(): Decimal(r["Cost_in$"])
        for r in sample_rows("Medication_Cost")
    }
    history = sample_rows("MedicalHistory")
    entries = Counter()
    priced = 0
    for row in history:
        for kind, column in (
            ("condition", "Condition"),
            ("surgery", "Surgeries"),
            ("medication", "Medication"),
        ):
            if row[column].strip().lower() not in NOTHING:
                entries[kind] += 1
                priced += kind == "medication" and row[column].strip().lower() in prices
    return {
        "Medication_Cost": len(prices),
        "Specialty": len({r["Specialization"].strip().lower() for r in sample_rows("Doctor")}),
        "Doctor": len(sample_rows("Doctor")),
        "Patient": len(sample_rows("Patient")),
        "Appointment": len(sample_rows("Appointment")),
        "PatientsAttendAppointments": len(sample_rows("PatientsAttendAppointments")),
        "MedicalHistory": sum(entries.values()),
        "entries": entries,
        "priced": priced,
        "statuses": Counter(
            STATUS[r["Status"].strip().lower()] for r in sample_rows("Appointment")
        ),
    }


def _stamps() -> dict:
    return {
        (model.__name__, pk): stamp
        for model in IMPORTED
        for pk, stamp in model.objects.values_list("id", "updated_at")
    }


@pytest.mark.parametrize("source", [SAMPLE_XLSX, SAMPLE_CSV], ids=["xlsx", "csv"])
def test_it_imports_the_sample_workbook(source):
    expected = _expected()

    report = workbook_import(path_or_file=source)

    assert report.ok, report.errors
    assert report.written
    for name in (
        "Medication_Cost",
        "Specialty",
        "Doctor",
        "Patient",
        "Appointment",
        "PatientsAttendAppointments",
        "MedicalHistory",
    ):
        assert report.counts[name].created == expected[name], name
    assert MedicationCost.objects.count() == expected["Medication_Cost"]
    assert Specialty.objects.count() == expected["Specialty"]
    assert Doctor.objects.count() == expected["Doctor"]
    assert Patient.objects.count() == expected["Patient"]
    assert Attendance.objects.count() == expected["PatientsAttendAppointments"]
    statuses = Counter(Appointment.objects.values_list("status", flat=True))
    assert statuses == expected["statuses"]
    kinds = Counter(MedicalHistory.objects.values_list("kind", flat=True))
    assert kinds == expected["entries"]
    assert MedicalHistory.objects.filter(medication__isnull=False).count() == expected["priced"]


def test_it_maps_the_legacy_keys_and_values():
    workbook_import(path_or_file=SAMPLE_CSV)
    patient_row = sample_rows("Patient")[1]
    patient = Patient.objects.get(mrn=patient_row["PatientID"])
    assert (patient.first_name, patient.last_name) == (patient_row["Fname"], patient_row["Lname"])
    assert patient.sex == patient_row["Gender"].lower()
    assert patient.phone == patient_row["Contact"]
    today = timezone.localdate()
    assert patient.date_of_birth == datetime.date(today.year - int(patient_row["Age"]), 1, 1)
    assert patient.dob_is_estimated

    row = sample_rows("Appointment")[0]
    appointment = Appointment.objects.select_related("patient", "doctor").get(
        legacy_id=row["AppointmentID"]
    )
    day = datetime.date.fromisoformat(row["Date"])
    start = datetime.datetime.combine(day, datetime.time.fromisoformat(row["StartTime"]))
    assert appointment.start == timezone.make_aware(start)
    assert appointment.patient.mrn == row["PatientID"]
    assert appointment.doctor.code == row["DoctorID"]

    visit_row = sample_rows("PatientsAttendAppointments")[0]
    visit = Attendance.objects.select_related("appointment").get(
        appointment__legacy_id=visit_row["AppointmentID"]
    )
    assert visit.patient.mrn == visit_row["PatientID"]
    assert visit.checked_in_at == visit.appointment.start
    assert visit.completed_at == visit.appointment.end

    history_row = sample_rows("MedicalHistory")[0]
    entries = MedicalHistory.objects.filter(legacy_id=history_row["HistoryID"])
    medication = entries.get(kind=HistoryKind.MEDICATION)
    assert medication.medication.name == history_row["Medication"]
    assert entries.get(kind=HistoryKind.CONDITION).description == history_row["Condition"]
    assert {e.recorded_on.isoformat() for e in entries} == {history_row["Date"]}


def test_it_leaves_imported_history_billable_and_unbilled():
    workbook_import(path_or_file=SAMPLE_CSV)

    assert not MedicalHistory.objects.filter(is_billable=False).exists()
    assert not InvoiceLine.objects.exists()


def test_it_makes_each_first_invoice_equal_the_seed_procedure_total():
    """The seed's calculatepatientbill: medication unit costs + a surgery fee per surgery
    (the default 50.00: the sample has no procedure list) + the doctor's consultation fee per
    attended appointment (0.00 for imported doctors); 50.00 minimum charge when that is 0."""
    from billing.services import invoice_draft_for_patient

    workbook_import(path_or_file=SAMPLE_CSV)
    prices = {
        r["Medication"].strip().lower(): Decimal(r["Cost_in$"])
        for r in sample_rows("Medication_Cost")
    }
    expected = Counter()
    for row in sample_rows("MedicalHistory"):
        medication = row["Medication"].strip().lower()
        if medication not in NOTHING:
            expected[row["PatientID"]] += prices.get(medication, Decimal("0"))
        if row["Surgeries"].strip().lower() not in NOTHING:
            expected[row["PatientID"]] += Decimal("50.00")
    clerk = UserFactory()

    for patient in Patient.objects.all():
        invoice = invoice_draft_for_patient(patient=patient, by=clerk)
        assert invoice.total == (expected[patient.mrn] or Decimal("50.00")), patient.mrn


def test_it_changes_nothing_when_the_same_workbook_is_imported_again():
    workbook_import(path_or_file=SAMPLE_XLSX)
    before = _stamps()

    report = workbook_import(path_or_file=SAMPLE_CSV)

    assert report.ok
    assert not report.changed
    assert not report.written
    assert all(c.created == c.updated == 0 for c in report.counts.values())
    assert report.counts["Appointment"].unchanged == len(sample_rows("Appointment"))
    assert report.outcome().startswith("Nothing to change")
    assert _stamps() == before


def test_it_updates_only_the_record_whose_cell_changed(tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    before = _stamps()

    def change(sheet, rows):
        if sheet == "Patient":
            rows[4]["Contact"] = "555-000-0000"

    report = workbook_import(path_or_file=copy_sample(tmp_path / "changed", change))

    assert report.ok, report.errors
    assert (report.counts["Patient"].updated, report.counts["Patient"].created) == (1, 0)
    assert sum(c.updated + c.created for c in report.counts.values()) == 1
    changed = Patient.objects.get(mrn=sample_rows("Patient")[4]["PatientID"])
    assert changed.phone == "555-000-0000"
    after = _stamps()
    assert [key for key in after if after[key] != before[key]] == [("Patient", changed.pk)]


def test_it_records_a_status_change_made_by_the_workbook(tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    target = next(r for r in sample_rows("Appointment") if r["Status"] == "Scheduled")
    clerk = UserFactory()

    def change(sheet, rows):
        if sheet == "Appointment":
            next(r for r in rows if r["AppointmentID"] == target["AppointmentID"])["Status"] = (
                "Cancelled"
            )

    report = workbook_import(path_or_file=copy_sample(tmp_path / "changed", change), by=clerk)

    assert report.counts["Appointment"].updated == 1
    appointment = Appointment.objects.get(legacy_id=target["AppointmentID"])
    assert appointment.status == "cancelled"
    move = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (move.from_status, move.to_status, move.changed_by) == ("scheduled", "cancelled", clerk)


def test_it_corrects_a_history_entry_and_keeps_the_version_before(tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    row = sample_rows("MedicalHistory")[0]
    clerk = UserFactory()

    def change(sheet, rows):
        if sheet == "MedicalHistory":
            rows[0]["Condition"] = "Gout"

    report = workbook_import(path_or_file=copy_sample(tmp_path / "changed", change), by=clerk)

    assert report.counts["MedicalHistory"].updated == 1
    entry = MedicalHistory.objects.get(legacy_id=row["HistoryID"], kind=HistoryKind.CONDITION)
    assert (entry.description, entry.version, entry.corrected_by) == ("Gout", 2, clerk)
    revision = MedicalHistoryRevision.objects.get(entry=entry)
    assert revision.description == row["Condition"]


def test_it_writes_nothing_on_a_dry_run():
    report = workbook_import(path_or_file=SAMPLE_CSV, dry_run=True)

    assert report.ok
    assert not report.written
    assert report.counts["Patient"].created == len(sample_rows("Patient"))
    assert report.counts["Appointment"].created == len(sample_rows("Appointment"))
    assert "would be created" in report.count_lines()[0]
    for model in (*IMPORTED, AuditEvent):
        assert not model.objects.exists(), model


def test_it_reads_an_uploaded_file_object():
    with SAMPLE_XLSX.open("rb") as upload:
        report = workbook_import(path_or_file=upload)

    assert report.ok, report.errors
    assert Patient.objects.count() == len(sample_rows("Patient"))


def test_it_records_who_imported_in_the_audit_log():
    admin = UserFactory(username="importer")

    workbook_import(path_or_file=SAMPLE_CSV, by=admin)

    event = AuditEvent.objects.get()
    assert event.actor == admin
    counts = event.changes["workbook_import"]["counts"]
    assert counts["Patient"]["created"] == len(sample_rows("Patient"))
