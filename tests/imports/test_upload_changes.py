"""The check page lists every update field by field, old and new value, those that need care
first (a doctor who signs in, a patient with visits or history); the clerk confirms the new
records and the updates apart, and the import writes only the plan the check showed
(issue 15)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse

from appointments.models import Appointment, Attendance
from core.models import AuditEvent
from doctors.models import Doctor
from imports import selectors, writer
from imports.models import UploadChange, UploadStatus, WorkbookUpload
from imports.services import workbook_import
from patients.models import Patient
from tests.factories import UserFactory
from tests.imports.helpers import HEADERS, SAMPLE_CSV, copy_sample, sample_rows

pytestmark = pytest.mark.django_db

# A patient with no visit and no history, ahead of the sample's on the Patient sheet.
QUIET = {
    "PatientID": "P0900",
    "Fname": "Quiet",
    "Lname": "Person",
    "Gender": "Female",
    "Age": "40",
    "Contact": "555-900-0000",
    "Email": "",
}
NEW_PATIENT = {**QUIET, "PatientID": "P0901", "Fname": "Newly", "Lname": "Arrived"}
NEW_DOCTOR = {
    "DoctorID": "D0099",
    "Fname": "Nadia",
    "Lname": "Newcomer",
    "Specialization": "Cardiology",
    "Contact": "555-099-0000",
    "Email": "",
}


@pytest.fixture(autouse=True)
def inline_jobs(settings, tmp_path, jobs_at_once):
    settings.MEDIA_ROOT = tmp_path / "media"  # jobs run as soon as queued: tests/conftest.py


def _upload(client, folder) -> WorkbookUpload:
    files = [
        SimpleUploadedFile(f"{name}.csv", (folder / f"{name}.csv").read_bytes(), "text/csv")
        for name in HEADERS
    ]
    client.post(reverse("imports:upload"), {"files": files})
    return WorkbookUpload.objects.latest("id")


def _charted() -> dict[str, str]:
    """A sample patient with visits and history."""
    visited = {row["PatientID"] for row in sample_rows("PatientsAttendAppointments")}
    recorded = {row["PatientID"] for row in sample_rows("MedicalHistory")}
    return next(r for r in sample_rows("Patient") if r["PatientID"] in visited & recorded)


def _imported(tmp_path) -> Doctor:
    """The sample (and QUIET) imported; Dr Maxwell (D0006) signs in as `drmaxwell`."""
    workbook_import(path_or_file=_workbook(tmp_path / "first", changed=False))
    maxwell = Doctor.objects.get(code="D0006")
    maxwell.user = UserFactory(username="drmaxwell")
    maxwell.save(update_fields=["user"])
    return maxwell


def _workbook(folder, *, changed=True, new=True):
    """The sample with QUIET; `changed`: D0001 and D0006 renamed (D0006 also to another
    specialty), QUIET's and a charted patient's phone changed; `new`: a new doctor and patient."""
    charted = _charted()["PatientID"]

    def change(sheet, rows):
        if sheet == "Patient":
            rows.insert(0, dict(QUIET))
            if changed:
                rows[0]["Contact"] = "555-900-1111"
                next(r for r in rows if r["PatientID"] == charted)["Contact"] = "555-222-3333"
            if new and changed:
                rows.append(dict(NEW_PATIENT))
        if sheet == "Doctor" and changed:
            rows[0]["Fname"] = "Lesley"
            maxwell = next(r for r in rows if r["DoctorID"] == "D0006")
            maxwell["Fname"], maxwell["Specialization"] = "Ben", "Neurology"
            if new:
                rows.append(dict(NEW_DOCTOR))

    return copy_sample(folder, change)


def _table(page: str, sheet: str) -> str:
    section = page[page.index('data-testid="changes"') :]
    table = section[
        section.index(f'<table class="table table-sm table-striped" data-sheet="{sheet}"') :
    ]
    return table[: table.index("</table>")]


def test_it_lists_each_updated_field_old_and_new_for_doctors_and_patients(
    login, admin_user, tmp_path
):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))

    page = client.get(upload.get_absolute_url()).content.decode()

    assert upload.status == UploadStatus.CHECKED
    doctors = _table(page, "Doctor")
    assert "<td>First name</td><td>Leslie</td><td>Lesley</td>" in doctors
    assert "<td>First name</td><td>Benjamin</td><td>Ben</td>" in doctors
    assert "<td>Specialty</td><td>Orthopedics</td><td>Neurology</td>" in doctors
    # Only what differs: the last name, phone and email of D0001 are the same.
    assert "Lambert</td><td>Lambert" not in doctors
    patients = _table(page, "Patient")
    charted = _charted()
    assert f"<td>Phone</td><td>{charted['Contact']}</td><td>555-222-3333</td>" in patients
    assert "<td>Phone</td><td>555-900-0000</td><td>555-900-1111</td>" in patients
    # Rows without a change are not listed as updates; the new ones neither.
    assert patients.count("data-change=") == 2
    assert 'data-change="P0901"' not in page and 'data-change="D0099"' not in page
    assert "It would create 2 new records and update" in page


def test_it_calls_out_a_doctor_who_signs_in_and_a_patient_with_a_chart_first(
    login, admin_user, tmp_path
):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))

    page = client.get(upload.get_absolute_url()).content.decode()

    doctors = _table(page, "Doctor")
    # D0006 is on a later row than D0001, yet listed first: it signs in.
    keys = re.findall(r'data-change="([^"]+)"', doctors)
    assert keys == ["D0006", "D0001"]
    assert 'data-change="D0006" data-risk="login"' in doctors
    assert "Signs in" in doctors and "drmaxwell signs in as this doctor" in doctors
    patients = _table(page, "Patient")
    charted = _charted()["PatientID"]
    assert re.findall(r'data-change="([^"]+)"', patients) == [charted, "P0900"]
    assert f'data-change="{charted}" data-risk="chart"' in patients
    assert "Has visits or history" in patients and "This patient already has" in patients
    assert 'data-change="P0900" data-risk' not in patients
    assert re.search(r"2 need\s+care", page)  # the summary above the list
    check = upload.report["check"]
    assert (check["updates"], check["risky"]) == (4, 2)


def test_it_tells_the_doctor_whose_own_record_it_is(login, tmp_path):
    maxwell = _imported(tmp_path)
    maxwell.user.user_permissions.add(*Permission.objects.filter(codename="add_workbookupload"))
    client = login(maxwell.user)
    upload = _upload(client, _workbook(tmp_path / "changed"))

    page = client.get(upload.get_absolute_url()).content.decode()

    assert "Your own record" in _table(page, "Doctor")


def test_confirming_without_the_updates_creates_the_new_records_only(login, admin_user, tmp_path):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))
    page = client.get(upload.get_absolute_url()).content.decode()
    # The box is there, and off.
    box = re.search(r'<input[^>]*name="apply_updates"[^>]*>', page)[0]
    assert "checked" not in box
    assert "Also apply 4 updates to existing records" in page

    response = client.post(reverse("imports:upload_confirm", args=[upload.pk]), follow=True)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED, upload.report
    assert Doctor.objects.filter(code="D0099", first_name="Nadia").exists()
    assert Patient.objects.filter(mrn="P0901", first_name="Newly").exists()
    assert Doctor.objects.get(code="D0001").first_name == "Leslie"
    maxwell = Doctor.objects.get(code="D0006")
    assert (maxwell.first_name, maxwell.specialty.name) == ("Benjamin", "Orthopedics")
    assert Patient.objects.get(mrn="P0900").phone == "555-900-0000"
    assert not AuditEvent.objects.filter(action="update", object_type="doctors.doctor").exists()
    summary = AuditEvent.objects.filter(changes__has_key="workbook_import").latest("id").changes
    assert summary["workbook_import"]["updates"] == "not applied"
    text = response.content.decode()
    assert "Records already in the system are left as they are." in text
    assert "Updates not applied" in text
    assert "were not applied, as confirmed" in text


def test_confirming_the_updates_applies_them_too(login, admin_user, tmp_path):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))

    client.post(reverse("imports:upload_confirm", args=[upload.pk]), {"apply_updates": "on"})

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED, upload.report
    assert upload.apply_updates
    assert Doctor.objects.get(code="D0001").first_name == "Lesley"
    maxwell = Doctor.objects.get(code="D0006")
    assert (maxwell.first_name, maxwell.specialty.name) == ("Ben", "Neurology")
    assert Patient.objects.get(mrn="P0900").phone == "555-900-1111"
    assert Doctor.objects.filter(code="D0099").exists()
    updated = AuditEvent.objects.filter(action="update", object_type="doctors.doctor").count()
    assert updated == 2
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "What was updated, field by field" in page


def test_it_refuses_to_import_nothing_when_only_updates_are_left_unconfirmed(
    login, admin_user, tmp_path
):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed", new=False))

    response = client.post(reverse("imports:upload_confirm", args=[upload.pk]), follow=True)

    assert "only updates records already in the system" in response.content.decode()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.CHECKED
    assert Doctor.objects.get(code="D0001").first_name == "Leslie"


def test_nothing_is_half_applied_when_the_database_refuses_part_of_it(
    login, admin_user, tmp_path, monkeypatch
):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))
    insert = writer.insert

    def refusing(table, rows, **kwargs):
        if table.model is Patient:  # after the doctors are written
            raise DatabaseError("refused for the test")
        return insert(table, rows, **kwargs)

    monkeypatch.setattr(writer, "insert", refusing)

    client.post(reverse("imports:upload_confirm", args=[upload.pk]), {"apply_updates": "on"})

    upload.refresh_from_db()
    assert upload.status == UploadStatus.REJECTED
    assert Doctor.objects.get(code="D0001").first_name == "Leslie"
    assert not Doctor.objects.filter(code="D0099").exists()
    assert not Patient.objects.filter(mrn="P0901").exists()
    assert Patient.objects.get(mrn="P0900").phone == "555-900-0000"
    [problem] = upload.report["import"]["errors"]
    assert "refused the import, so nothing was imported" in problem[3]


def test_it_checks_again_instead_of_applying_updates_the_clerk_did_not_read(
    login, admin_user, tmp_path
):
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))
    # Someone edits D0001 by hand after the check was read.
    Doctor.objects.filter(code="D0001").update(first_name="Leonora")

    response = client.post(
        reverse("imports:upload_confirm", args=[upload.pk]), {"apply_updates": "on"}, follow=True
    )

    upload.refresh_from_db()
    assert upload.status == UploadStatus.CHECKED
    assert upload.confirmed_by is None and not upload.apply_updates
    assert Doctor.objects.get(code="D0001").first_name == "Leonora"
    assert not Doctor.objects.filter(code="D0099").exists()  # nothing at all was written
    text = response.content.decode()
    assert "The records in the system changed after the check you read" in text
    assert "<td>First name</td><td>Leonora</td><td>Lesley</td>" in _table(text, "Doctor")

    client.post(reverse("imports:upload_confirm", args=[upload.pk]), {"apply_updates": "on"})

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    assert Doctor.objects.get(code="D0001").first_name == "Lesley"


def test_a_change_to_a_record_it_only_updates_does_not_stop_the_new_records(
    login, admin_user, tmp_path
):
    """The new records alone do not depend on D0001's name: confirmed without the updates,
    they are imported even though D0001 changed since the check."""
    _imported(tmp_path)
    client = login(admin_user)
    upload = _upload(client, _workbook(tmp_path / "changed"))
    Doctor.objects.filter(code="D0001").update(first_name="Leonora")

    client.post(reverse("imports:upload_confirm", args=[upload.pk]))

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    assert Doctor.objects.filter(code="D0099").exists()
    assert Doctor.objects.get(code="D0001").first_name == "Leonora"


def test_long_lists_are_paged_per_sheet_and_all_of_them_are_in_the_csv(
    login, admin_user, tmp_path, monkeypatch
):
    monkeypatch.setattr(selectors, "CHANGES_PER_PAGE", 2)
    workbook_import(path_or_file=SAMPLE_CSV)

    def change(sheet, rows):
        if sheet == "Patient":
            for index in range(5):
                rows[index]["Contact"] = f"555-777-000{index}"

    client = login(admin_user)
    upload = _upload(client, copy_sample(tmp_path / "changed", change))
    url = upload.get_absolute_url()

    first = client.get(url).content.decode()
    last = client.get(url, {"sheet": "Patient", "page": "3"}).content.decode()

    assert UploadChange.objects.filter(upload=upload).count() == 5
    assert _table(first, "Patient").count("data-change=") == 2
    assert "Page 1 of 3" in first and "?sheet=Patient&amp;page=2" in first
    assert _table(last, "Patient").count("data-change=") == 1
    assert "Page 3 of 3" in last
    csv = b"".join(client.get(reverse("imports:upload_changes", args=[upload.pk]))).decode()
    assert csv.splitlines()[0] == "sheet,row,record,workbook_id,needs_care,field,before,after"
    phones = re.findall(r",Phone,[^,]*,(555-777-000\d)", csv)
    assert sorted(phones) == [f"555-777-000{i}" for i in range(5)]


def test_the_check_page_costs_the_same_queries_however_many_changes(
    login, admin_user, tmp_path, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(selectors, "CHANGES_PER_PAGE", 10)
    workbook_import(path_or_file=SAMPLE_CSV)

    def change(sheet, rows):
        if sheet == "Patient":
            for row in rows:
                row["Contact"] = "555-777-0000"

    client = login(admin_user)
    upload = _upload(client, copy_sample(tmp_path / "changed", change))

    with django_assert_max_num_queries(15):
        page = client.get(upload.get_absolute_url()).content.decode()
    assert _table(page, "Patient").count("data-change=") == selectors.CHANGES_PER_PAGE
    assert f"{len(sample_rows('Patient'))} records updated" in page


def test_a_visit_of_an_appointment_it_changes_waits_for_the_updates(tmp_path):
    """Without the updates, a new visit of an appointment the workbook completes is held
    back with that update (the appointment stays as it is in the system)."""
    workbook_import(path_or_file=SAMPLE_CSV)
    appointment = next(r for r in sample_rows("Appointment") if r["Status"] == "Scheduled")

    def change(sheet, rows):
        if sheet == "Appointment":
            row = next(r for r in rows if r["AppointmentID"] == appointment["AppointmentID"])
            row["Status"] = "Completed"
        if sheet == "PatientsAttendAppointments":
            rows.append(
                {
                    "PatientID": appointment["PatientID"],
                    "AppointmentID": appointment["AppointmentID"],
                }
            )

    folder = copy_sample(tmp_path / "changed", change)
    report = workbook_import(path_or_file=folder, apply_updates=False)

    assert not report.errors
    assert not report.written  # nothing was left to create
    assert "Nothing was created." in report.outcome()
    visits = report.counts["PatientsAttendAppointments"]
    assert (visits.created, visits.held) == (0, 1)
    assert report.counts["Appointment"].held == 1
    kept = Appointment.objects.get(legacy_id=appointment["AppointmentID"])
    assert kept.status == "scheduled"
    assert not Attendance.objects.filter(appointment=kept).exists()
