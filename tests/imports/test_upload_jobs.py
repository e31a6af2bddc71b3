"""Checking and importing an upload in the background: the page follows the job, a second
confirmation is refused while it runs, an unexpected error or a dead job ends visibly."""

import datetime
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from imports.models import UploadStatus, WorkbookUpload
from imports.services import (
    UploadNotConfirmable,
    upload_path,
    workbook_upload_check,
    workbook_upload_confirm,
)
from imports.services import uploads as upload_services
from patients.models import Patient
from tests.imports.helpers import SAMPLE_XLSX, sample_rows

WAIT_SECONDS = 120


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HMS_IMPORT_IN_BACKGROUND = True


def _xlsx() -> SimpleUploadedFile:
    return SimpleUploadedFile("hospital.xlsx", SAMPLE_XLSX.read_bytes())


def _wait_for(upload: WorkbookUpload, *statuses: str) -> WorkbookUpload:
    """Wait for the background jobs (their threads, `hms-<job>`) to end, files removed on
    their commit included; then the upload must be in one of `statuses`."""
    for thread in threading.enumerate():
        if thread.name.startswith("hms-"):
            thread.join(timeout=WAIT_SECONDS)
            assert not thread.is_alive(), f"{thread.name} still running after {WAIT_SECONDS} s"
    upload.refresh_from_db()
    assert upload.status in statuses
    return upload


@contextmanager
def _job_lock(upload: WorkbookUpload) -> Iterator[None]:
    """Hold the upload's job lock, as a running job holds it: a job started meanwhile waits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [upload_services.LOCK_CLASS, upload.pk])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [upload_services.LOCK_CLASS, upload.pk]
            )


@pytest.mark.django_db(transaction=True)
def test_it_checks_and_imports_in_the_background_while_the_page_follows(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("imports:upload"), {"files": [_xlsx()]})

    upload = WorkbookUpload.objects.get()
    assert response.url == reverse("imports:upload_detail", args=[upload.pk])
    upload = _wait_for(upload, UploadStatus.CHECKED)
    assert Patient.objects.count() == 0

    with _job_lock(upload):  # the import cannot end before the second confirmation
        confirmed = workbook_upload_confirm(upload=upload, by=admin_user)
        assert confirmed.status == UploadStatus.IMPORTING
        with pytest.raises(UploadNotConfirmable, match="it is being imported"):
            workbook_upload_confirm(upload=upload, by=admin_user)

    upload = _wait_for(upload, UploadStatus.IMPORTED)
    assert upload.imported_by == admin_user
    assert upload.confirmed_by == admin_user
    assert Patient.objects.count() == len(sample_rows("Patient"))
    assert not upload_path(upload).exists()
    page = client.get(response.url).content.decode()
    assert "Imported in" in page


@pytest.mark.django_db
def test_it_shows_a_running_check_and_refreshes_the_page(client, admin_user):
    upload = _working_upload(admin_user, UploadStatus.CHECKING, progress="Patient: 100,000 rows")
    client.force_login(admin_user)
    with _job_lock(upload):
        page = client.get(reverse("imports:upload_detail", args=[upload.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Checking the workbook; nothing is written." in page
    assert "Patient: 100,000 rows" in page
    assert "Confirm and import" not in page
    assert "was interrupted" not in page


@pytest.mark.django_db
def test_it_says_when_a_job_was_interrupted_and_lets_the_upload_be_discarded(client, admin_user):
    upload = _working_upload(admin_user, UploadStatus.IMPORTING)
    client.force_login(admin_user)

    page = client.get(reverse("imports:upload_detail", args=[upload.pk])).content.decode()

    assert "The import was interrupted" in page
    assert 'http-equiv="refresh"' not in page
    client.post(reverse("imports:upload_discard", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED


@pytest.mark.django_db
def test_it_does_not_take_a_fresh_job_for_an_interrupted_one(admin_user):
    upload = _working_upload(admin_user, UploadStatus.CHECKING)
    WorkbookUpload.objects.filter(pk=upload.pk).update(updated_at=timezone.now())
    upload.refresh_from_db()
    # Started a moment ago, its thread not yet holding the lock: not interrupted.
    assert not upload_services.upload_is_stalled(upload)


@pytest.mark.django_db(transaction=True)
def test_it_marks_the_upload_failed_when_the_job_breaks(admin_user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(upload_services, "workbook_import", broken)

    upload = _wait_for(workbook_upload_check(files=[_xlsx()], by=admin_user), UploadStatus.FAILED)

    assert upload.report["failure"] == "RuntimeError: disk on fire"
    assert not upload_path(upload).exists()


def _working_upload(user, status: str, progress: str = "") -> WorkbookUpload:
    """An upload a job was working on a minute ago."""
    confirmed = status == UploadStatus.IMPORTING
    upload = WorkbookUpload.objects.create(
        uploaded_by=user,
        original_name="hospital.xlsx",
        folder=f"test-{status}",
        workbook_file="workbook.xlsx",
        size_bytes=1,
        sha256="0" * 64,
        status=status,
        progress=progress,
        confirmed_at=timezone.now() if confirmed else None,
        confirmed_by=user if confirmed else None,
    )
    WorkbookUpload.objects.filter(pk=upload.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    upload.refresh_from_db()
    return upload
