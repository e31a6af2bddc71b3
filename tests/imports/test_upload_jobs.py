"""The upload page's jobs as the page sees them: queued in the upload's own transaction,
waiting for a worker (and saying so when none runs), running, interrupted when their worker
stopped, retried, failed with the error kept. The jobs themselves run in real worker
processes in test_upload_worker.py; here the queue's rows are put in each state with
procrastinate's own statements."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from core.models import AuditEvent
from imports.models import UploadStatus, WorkbookUpload
from imports.services import (
    UploadNotConfirmable,
    upload_jobs,
    upload_path,
    workbook_upload_check,
    workbook_upload_confirm,
    workbook_upload_retry,
)
from imports.tasks import upload_check, upload_import
from jobs.models import JobError
from patients.models import Patient
from tests.imports.helpers import SAMPLE_XLSX, sample_rows
from tests.jobs.helpers import run_jobs_here, take_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _xlsx() -> SimpleUploadedFile:
    return SimpleUploadedFile("hospital.xlsx", SAMPLE_XLSX.read_bytes())


def _page(client, upload) -> str:
    return client.get(reverse("imports:upload_detail", args=[upload.pk])).content.decode()


def _hold_lock(upload) -> None:
    """The upload's advisory lock, as the job running it holds it (released with the test's
    session... and explicitly below, since the session outlives the test)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [upload_jobs.LOCK_CLASS, upload.pk])


@pytest.fixture
def held_locks():
    yield _hold_lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")


def test_it_queues_the_check_with_the_upload_and_says_no_worker_runs(client, admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)

    job = ProcrastinateJob.objects.get(pk=upload.job_id)
    assert (job.task_name, job.args, job.status, job.queue_name) == (
        "imports.upload_check",
        {"upload_id": upload.pk},
        "todo",
        "imports",
    )
    client.force_login(admin_user)
    page = _page(client, upload)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for a worker to start the check" in page
    assert "No background worker is running" in page
    assert "was interrupted" not in page


def test_it_shows_a_running_check_and_refreshes_the_page(client, admin_user, held_locks):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    take_job(started_age=60)
    held_locks(upload)
    WorkbookUpload.objects.filter(pk=upload.pk).update(progress="Patient: 100,000 rows read")
    client.force_login(admin_user)

    page = _page(client, upload)

    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Checking the workbook; nothing is written." in page
    assert "Patient: 100,000 rows read" in page
    assert "No background worker is running" not in page
    assert "Confirm and import" not in page
    assert "was interrupted" not in page


def test_it_says_the_import_was_interrupted_when_its_worker_stopped(client, admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    run_jobs_here()
    workbook_upload_confirm(upload=WorkbookUpload.objects.get(), by=admin_user)
    # Its worker was killed: no heartbeat for a minute (its session may linger meanwhile).
    job_id = take_job(heartbeat_age=60, started_age=60)
    client.force_login(admin_user)

    page = _page(client, upload)

    assert "The import was interrupted" in page
    assert 'http-equiv="refresh"' not in page
    assert reverse("imports:upload_retry", args=[upload.pk]) in page
    assert reverse("imports:upload_discard", args=[upload.pk]) in page
    response = client.post(reverse("imports:upload_retry", args=[upload.pk]), follow=True)
    assert "It runs again; this page follows it." in response.content.decode()
    job = ProcrastinateJob.objects.get(pk=job_id)
    assert (job.status, job.attempts) == ("todo", 1)
    assert AuditEvent.objects.filter(changes__has_key="job_retry", actor=admin_user).exists()
    run_jobs_here()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    assert Patient.objects.count() == len(sample_rows("Patient"))


def test_it_says_interrupted_when_a_running_job_lost_its_session(admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    take_job(started_age=60)  # a live worker, but the lock is free: its session is gone

    assert upload_jobs.upload_is_stalled(upload)


def test_it_does_not_take_a_job_just_taken_for_an_interrupted_one(admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    take_job()  # taken a moment ago; the job takes the upload's lock first thing

    assert not upload_jobs.upload_is_stalled(upload)


def test_it_refuses_to_retry_a_job_that_is_queued_or_running(admin_user, held_locks):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    with pytest.raises(UploadNotConfirmable, match="not interrupted"):
        workbook_upload_retry(upload=upload, by=admin_user)

    job_id = take_job(started_age=60)
    held_locks(upload)
    with pytest.raises(UploadNotConfirmable, match="not interrupted"):
        workbook_upload_retry(upload=upload, by=admin_user)
    assert ProcrastinateJob.objects.get(pk=job_id).status == "doing"


def test_it_marks_the_upload_failed_and_keeps_the_error_when_the_job_breaks(
    client, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(upload_jobs, "workbook_import", broken)
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        run_jobs_here()

    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED
    assert upload.report["failure"] == "RuntimeError: disk on fire"
    assert not upload_path(upload).exists()
    assert ProcrastinateJob.objects.get(pk=upload.job_id).status == "failed"
    error = JobError.objects.get(job_id=upload.job_id)
    assert (error.task_name, error.attempt, error.error) == (
        "imports.upload_check",
        1,
        "RuntimeError: disk on fire",
    )
    assert "disk on fire" in error.traceback
    client.force_login(admin_user)
    assert "RuntimeError: disk on fire" in _page(client, upload)


def test_it_does_nothing_when_a_job_runs_again_after_it_finished(admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    run_jobs_here()
    workbook_upload_confirm(upload=WorkbookUpload.objects.get(), by=admin_user)
    run_jobs_here()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED
    before = (Patient.objects.count(), AuditEvent.objects.count(), upload.report)

    upload_check(upload_id=upload.pk)
    upload_import(upload_id=upload.pk)

    upload.refresh_from_db()
    assert (Patient.objects.count(), AuditEvent.objects.count(), upload.report) == before
    assert upload.status == UploadStatus.IMPORTED


def test_it_rolls_the_import_back_when_the_upload_left_importing_meanwhile(admin_user):
    """An upload discarded as interrupted while its import in fact went on (a worker cut off
    from the database, then back): the import commits nothing."""
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    run_jobs_here()
    upload = workbook_upload_confirm(upload=WorkbookUpload.objects.get(), by=admin_user)
    real_finish = upload_jobs._finish

    def discarded_meanwhile(upload_id, report, **kwargs):
        WorkbookUpload.objects.filter(pk=upload_id).update(
            status=UploadStatus.DISCARDED, confirmed_at=None, confirmed_by=None
        )
        real_finish(upload_id, report, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(upload_jobs, "_finish", discarded_meanwhile)
        upload_import(upload_id=upload.pk)

    assert Patient.objects.count() == 0
    assert not AuditEvent.objects.filter(changes__has_key="workbook_import").exists()


def test_it_keeps_the_queued_job_out_of_a_rolled_back_upload(admin_user, monkeypatch):
    def refused(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("imports.services.uploads.audit.audit_record", refused)
    jobs_before = ProcrastinateJob.objects.count()

    with pytest.raises(RuntimeError):
        workbook_upload_check(files=[_xlsx()], by=admin_user)

    assert ProcrastinateJob.objects.count() == jobs_before
    assert not WorkbookUpload.objects.exists()


def test_it_shows_no_stale_state_for_an_upload_made_before_jobs_had_ids(admin_user):
    upload = workbook_upload_check(files=[_xlsx()], by=admin_user)
    WorkbookUpload.objects.filter(pk=upload.pk).update(
        job_id=None, updated_at=upload.updated_at - datetime.timedelta(minutes=1)
    )
    upload.refresh_from_db()

    assert upload_jobs.upload_is_stalled(upload)
