"""The check page shows each conflict with both records side by side, takes the clerk's
answers, checks again with them and imports what they say; it lists every update before and
after (issue 12)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from imports.models import UploadStatus, WorkbookUpload
from imports.services import workbook_import
from patients.models import MedicalHistory, Patient
from tests.imports.helpers import HEADERS, SAMPLE_CSV, copy_sample, sample_rows
from tests.imports.test_import_conflicts import _patricia, _stranger_workbook, _unchanged

pytestmark = pytest.mark.django_db


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


def test_it_shows_the_conflict_side_by_side_and_imports_nothing_for_it(login, admin_user, tmp_path):
    patricia = _patricia()
    client = login(admin_user)
    upload = _upload(client, _stranger_workbook(tmp_path / "wb"))

    page = client.get(upload.get_absolute_url()).content.decode()

    assert upload.status == UploadStatus.CHECKED
    section = page[page.index('data-testid="conflicts"') :]
    assert 'data-conflict="patient:P0000005"' in section
    assert "Imported Stranger" in section and "Patricia Hall" in section
    assert "registered in the system" in section and "the sex differs" in section
    assert patricia.get_absolute_url() in section
    assert "1 conflict not resolved" in page

    client.post(reverse("imports:upload_confirm", args=[upload.pk]))

    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    _unchanged(patricia)
    assert Patient.objects.filter(mrn="P0000006").exists()
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "not resolved: nothing was imported for this ID" in page


def test_it_checks_again_with_the_answer_and_keeps_both(login, admin_user, tmp_path):
    patricia = _patricia()
    client = login(admin_user)
    upload = _upload(client, _stranger_workbook(tmp_path / "wb"))

    response = client.post(
        reverse("imports:upload_resolve", args=[upload.pk]), {"conflict_0": "keep_both"}
    )

    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.status == UploadStatus.CHECKED
    assert upload.report["resolutions"] == {"patient:P0000005": "keep_both"}
    assert upload.report["check"]["unresolved"] == 0
    assert [c["created"] for c in upload.report["check"]["counts"] if c["sheet"] == "Patient"] == [
        2
    ]
    page = client.get(upload.get_absolute_url()).content.decode()
    assert re.search(r'<input type="radio" name="conflict_0" value="keep_both"[^>]* checked', page)
    resolved = AuditEvent.objects.get(object_type="imports.workbookupload", action="update")
    assert resolved.changes["resolutions"]["after"] == {"patient:P0000005": "keep_both"}

    client.post(reverse("imports:upload_confirm", args=[upload.pk]))

    _unchanged(patricia)
    stranger = Patient.objects.get(legacy_id="P0000005")
    assert stranger.mrn != "P0000005"
    assert MedicalHistory.objects.get(description="HIV infection").patient == stranger


def test_it_refuses_an_answer_the_conflict_does_not_offer(login, admin_user, tmp_path):
    patricia = _patricia()
    client = login(admin_user)
    folder = _stranger_workbook(tmp_path / "wb")
    (folder / "Patient.csv").write_text(",".join(HEADERS["Patient"]) + "\n")  # history only
    upload = _upload(client, folder)

    response = client.post(
        reverse("imports:upload_resolve", args=[upload.pk]),
        {"conflict_0": "keep_both"},
        follow=True,
    )

    assert "Choose one of the answers offered" in response.content.decode()
    upload.refresh_from_db()
    assert "resolutions" not in upload.report
    _unchanged(patricia)


def test_it_lists_each_updated_field_before_and_after(login, admin_user, tmp_path):
    workbook_import(path_or_file=SAMPLE_CSV)
    row = sample_rows("Patient")[2]

    def change(sheet, rows):
        if sheet == "Patient":
            rows[2]["Contact"] = "555-999-0000"

    client = login(admin_user)
    upload = _upload(client, copy_sample(tmp_path / "changed", change))
    page = client.get(upload.get_absolute_url()).content.decode()

    section = page[page.index('data-testid="changes"') :]
    table = section[section.index('data-sheet="Patient"') :]
    table = table[: table.index("</table>")]
    assert f"{row['Fname']} {row['Lname']} ({row['PatientID']})" in table
    assert "<td>Phone</td>" in table
    assert f"<td>{row['Contact']}</td><td>555-999-0000</td>" in table
