"""The administrators' import page: upload → check report → confirm (or discard)."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Attendance
from core import roles
from core.models import AuditEvent
from doctors.models import Doctor
from imports.models import UploadStatus, WorkbookUpload
from imports.services import upload_path, workbook_upload_check, workbook_upload_confirm
from patients.models import MedicalHistory, Patient
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory, UserFactory
from tests.imports.helpers import HEADERS, SAMPLE_CSV, SAMPLE_XLSX, copy_sample, sample_rows

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, jobs_at_once):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The test client cannot see a worker's commits from inside the test's transaction: the
    # check and the import run as soon as they are queued (jobs_at_once, tests/conftest.py).
    # tests/imports/test_upload_jobs.py runs them in real worker processes.
    return settings.MEDIA_ROOT


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """`with commits(execute=True):` runs what waits for the commit (deleting files), as a
    real request's commit would."""
    return django_capture_on_commit_callbacks


def _xlsx() -> SimpleUploadedFile:
    return SimpleUploadedFile("hospital.xlsx", SAMPLE_XLSX.read_bytes())


def _csvs(folder: Path = SAMPLE_CSV) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"{name}.csv", (folder / f"{name}.csv").read_bytes(), "text/csv")
        for name in HEADERS
    ]


def _post_upload(client, files):
    return client.post(UPLOAD, {"files": files})


def _sample_sizes() -> dict[str, int]:
    return {name: len(sample_rows(name)) for name in ("Patient", "Doctor", "Appointment")}


def _table_sizes() -> dict[str, int]:
    return {
        "Patient": Patient.objects.count(),
        "Doctor": Doctor.objects.count(),
        "Appointment": Appointment.objects.count(),
        "Attendance": Attendance.objects.count(),
        "MedicalHistory": MedicalHistory.objects.count(),
    }


def _count_row(response, sheet: str) -> list[str]:
    """The cells of a sheet's row in the counts table, as the page shows them."""
    html = response.content.decode()
    start = html.index(f'data-sheet="{sheet}"')
    row = html[start : html.index("</tr>", start)]
    return [cell.split(">", 1)[1].split("</td>")[0].strip() for cell in row.split("<td")[1:]]


# --- Access (who gets each import URL: tests/hms/test_url_access.py) -----------------------------


def test_it_opens_the_import_page_to_an_administrator_who_is_not_a_superuser(login):
    client = login(UserFactory(username="clinic-admin", role=roles.ADMINISTRATOR))
    response = client.get(UPLOAD)
    assert response.status_code == 200
    assert b'href="/imports/"' in response.content  # the navigation offers the page


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk", "outsider"])
def test_it_offers_the_import_page_to_administrators_only(request, role, login):
    client = login(request.getfixturevalue(role))
    assert b"/imports/" not in client.get(reverse("home")).content


# --- Upload, check, confirm ------------------------------------------------------------------


def test_it_checks_an_uploaded_workbook_without_importing_it(login, admin_user):
    client = login(admin_user)

    response = _post_upload(client, [_xlsx()])

    upload = WorkbookUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:upload_detail", args=[upload.pk])
    assert upload.status == UploadStatus.CHECKED
    assert upload.uploaded_by == admin_user
    assert upload_path(upload).is_file()
    assert _table_sizes() == dict.fromkeys(_table_sizes(), 0)

    page = client.get(response.url)
    text = page.content.decode()
    assert "The workbook is valid. Nothing has been written yet" in text
    assert "Confirm and import" in text
    sizes = _sample_sizes()
    for sheet in ("Patient", "Doctor", "Appointment"):
        # Rows read, created, updated, unchanged.
        assert _count_row(page, sheet) == [str(sizes[sheet]), str(sizes[sheet]), "0", "0"]


def test_it_imports_the_checked_workbook_when_confirmed(login, admin_user, commits):
    client = login(admin_user)
    upload = WorkbookUpload.objects.get(pk=_post_upload(client, [_xlsx()]).url.split("/")[-2])

    with commits(execute=True):
        response = client.post(reverse("imports:upload_confirm", args=[upload.pk]), follow=True)

    sizes = _sample_sizes()
    assert Patient.objects.count() == sizes["Patient"]
    assert Doctor.objects.count() == sizes["Doctor"]
    assert Appointment.objects.count() == sizes["Appointment"]
    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    assert upload.imported_by == admin_user
    assert upload.imported_at is not None
    text = response.content.decode()
    assert "The import has started; this page follows it." in text
    assert "Imported in" in text
    assert "What was imported" in text
    assert reverse("reports:report_detail", args=["doctor-workload"]) in text
    assert "Confirm and import" not in text
    # The file (patients' data) is not kept once imported.
    assert not upload_path(upload).exists()
    assert AuditEvent.objects.filter(changes__has_key="workbook_import", actor=admin_user).exists()


def test_it_imports_the_sheets_uploaded_as_csv_files(login, admin_user):
    client = login(admin_user)
    response = _post_upload(client, _csvs())
    upload = WorkbookUpload.objects.get()
    assert upload.status == UploadStatus.CHECKED, upload.report

    client.post(reverse("imports:upload_confirm", args=[upload.pk]))

    assert Patient.objects.count() == _sample_sizes()["Patient"]
    assert Attendance.objects.count() == len(sample_rows("PatientsAttendAppointments"))
    assert response.status_code == 302


def test_it_imports_once_when_confirmed_twice(login, admin_user):
    client = login(admin_user)
    _post_upload(client, [_xlsx()])
    upload = WorkbookUpload.objects.get()
    confirm = reverse("imports:upload_confirm", args=[upload.pk])
    client.post(confirm)
    sizes = _table_sizes()

    response = client.post(confirm, follow=True)

    assert "This workbook was already imported by admin" in response.content.decode()
    assert _table_sizes() == sizes
    assert AuditEvent.objects.filter(changes__has_key="workbook_import").count() == 1


def test_it_says_when_the_workbook_changes_nothing(login, admin_user, commits):
    client = login(admin_user)
    _post_upload(client, [_xlsx()])
    client.post(reverse("imports:upload_confirm", args=[WorkbookUpload.objects.get().pk]))

    with commits(execute=True):
        response = _post_upload(client, _csvs())

    again = WorkbookUpload.objects.latest("id")
    assert again.status == UploadStatus.UNCHANGED
    page = client.get(response.url).content.decode()
    assert "Nothing to change: the system already matches the workbook." in page
    assert "Confirm and import" not in page
    assert not upload_path(again).exists()


def test_it_lists_every_problem_of_a_bad_workbook_and_imports_nothing(
    login, admin_user, tmp_path, commits
):
    def spoil(sheet, rows):
        if sheet == "Appointment":
            rows[2]["Date"] = "2024-02-30"
            rows[4]["PatientID"] = "P9999"
        if sheet == "Medication_Cost":
            rows[0]["Cost_in$"] = "-5"

    folder = copy_sample(tmp_path / "bad", change=spoil)
    client = login(admin_user)

    with commits(execute=True):
        response = _post_upload(client, _csvs(folder))

    upload = WorkbookUpload.objects.get()
    assert upload.status == UploadStatus.REJECTED
    assert _table_sizes() == dict.fromkeys(_table_sizes(), 0)
    assert not upload_path(upload).exists()
    page = client.get(response.url).content.decode()
    assert "4 problems to fix" in page
    assert "nothing was imported" in page
    assert "Confirm and import" not in page
    for expected in (
        "<td>Medication_Cost</td><td>2</td><td>Cost_in$</td><td>the cost -5 is negative</td>",
        "<td>Appointment</td><td>4</td><td>Date</td><td>&#x27;2024-02-30&#x27; is not a date",
        "<td>Appointment</td><td>6</td><td>PatientID</td><td>unknown patient P9999</td>",
        # The attendance of that appointment no longer agrees with it.
        "<td>PatientsAttendAppointments</td><td>3</td><td>PatientID</td>"
        "<td>appointment A00005 is for P9999, not P0004</td>",
    ):
        assert expected in page

    problems = client.get(reverse("imports:upload_problems", args=[upload.pk]))
    lines = problems.content.decode().splitlines()
    assert problems["Content-Type"].startswith("text/csv")
    assert lines[0] == "kind,sheet,row,column,message"
    assert "error,Appointment,6,PatientID,unknown patient P9999" in lines
    assert len([line for line in lines if line.startswith("error,")]) == 4


def test_it_reports_an_unreadable_workbook(login, admin_user):
    client = login(admin_user)
    response = _post_upload(client, [SimpleUploadedFile("hospital.xlsx", b"not a workbook")])
    page = client.get(response.url).content.decode()
    assert "Workbook" in page and "cannot be read" in page
    assert WorkbookUpload.objects.get().status == UploadStatus.REJECTED


def test_it_imports_nothing_when_the_system_changed_since_the_check(admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    row = next(r for r in sample_rows("Appointment") if r["Status"] == "Scheduled")
    start = timezone.make_aware(
        datetime.datetime.fromisoformat(f"{row['Date']} {row['StartTime']}")
    )
    # Booked by the front desk between the check and the confirmation (with a doctor an earlier
    # import brought in).
    AppointmentFactory(
        doctor=DoctorFactory(code=row["DoctorID"], legacy_id=row["DoctorID"]),
        patient=PatientFactory(mrn="P7777"),
        start=start,
        end=start + datetime.timedelta(minutes=30),
    )

    workbook_upload_confirm(upload=upload, by=admin_user)  # the import job runs at once

    upload.refresh_from_db()
    assert upload.status == UploadStatus.REJECTED
    errors = upload.report["import"]["errors"]
    assert any("already in the system" in message for *_, message in errors)
    assert Patient.objects.count() == 1
    assert Appointment.objects.count() == 1


def test_it_discards_a_checked_upload(login, admin_user, commits):
    client = login(admin_user)
    _post_upload(client, [_xlsx()])
    upload = WorkbookUpload.objects.get()

    with commits(execute=True):
        response = client.post(reverse("imports:upload_discard", args=[upload.pk]), follow=True)

    assert "The upload was discarded; nothing was imported." in response.content.decode()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED
    assert not upload_path(upload).exists()
    response = client.post(reverse("imports:upload_confirm", args=[upload.pk]), follow=True)
    assert "cannot be imported" in response.content.decode()
    assert Patient.objects.count() == 0


def test_it_deletes_the_files_of_uploads_nobody_confirmed(admin_user, settings, commits):
    old = workbook_upload_check(files=[_xlsx()], by=admin_user)
    WorkbookUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.HMS_IMPORT_KEEP_HOURS + 1)
    )

    with commits(execute=True):
        workbook_upload_check(files=[_xlsx()], by=admin_user)

    old.refresh_from_db()
    assert old.status == UploadStatus.DISCARDED
    assert not upload_path(old).exists()


# --- The form ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Choose the workbook file to upload."),
        (
            [SimpleUploadedFile("notes.txt", b"hello")],
            "Choose either one .xlsx workbook or the sheets as .csv files (got: notes.txt).",
        ),
        (
            [SimpleUploadedFile("Patients list.csv", b"a,b\n")],
            "Patients list.csv is not named after a sheet",
        ),
        (
            [SimpleUploadedFile("Patient.csv", b"a\n"), SimpleUploadedFile("patient$.csv", b"a\n")],
            "Patient.csv and patient$.csv are both the Patient sheet.",
        ),
        (
            [SimpleUploadedFile("a.xlsx", b"x"), SimpleUploadedFile("b.xlsx", b"x")],
            "Choose one .xlsx workbook, not several.",
        ),
    ],
)
def test_it_explains_what_to_fix_in_the_upload_form(login, admin_user, files, message):
    response = _post_upload(login(admin_user), files)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not WorkbookUpload.objects.exists()


def test_it_refuses_an_upload_over_the_size_limit(login, admin_user, settings):
    settings.HMS_IMPORT_MAX_UPLOAD_MB = 0
    response = _post_upload(login(admin_user), [_xlsx()])
    assert "The upload is larger than 0 MB" in response.content.decode()
    assert "manage.py import_workbook" in response.content.decode()
    assert not WorkbookUpload.objects.exists()


def test_it_lists_recent_uploads_in_a_fixed_number_of_queries(login, admin_user):
    client = login(admin_user)
    _post_upload(client, [_xlsx()])
    client.get(UPLOAD)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(UPLOAD).status_code == 200
    for _ in range(6):
        _post_upload(client, [SimpleUploadedFile("hospital.xlsx", b"broken")])
    with CaptureQueriesContext(connection) as seven:
        response = client.get(UPLOAD)
    assert response.status_code == 200
    assert response.content.decode().count('data-status="rejected"') == 6
    assert len(seven.captured_queries) == len(one.captured_queries) <= 8
