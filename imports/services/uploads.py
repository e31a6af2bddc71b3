"""The upload page's workflow: keep an uploaded workbook, check it, import it when confirmed.

Checking and importing are background jobs run by a worker process (imports.tasks; what they
do is in `upload_jobs`); these services change the upload's status and queue its job in the
same transaction, and the page follows the upload's `status` and `progress`.
"""

from __future__ import annotations

import datetime
import secrets
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.actors import acting_user
from imports.models import UploadStatus, WorkbookUpload
from imports.services.upload_changes import upload_changes_delete
from imports.services.upload_files import (
    UPLOAD_DIR,
    delete_files_on_commit,
    save_files,
    upload_path,
)
from imports.services.upload_jobs import upload_is_stalled, upload_job_defer
from jobs.selectors import DOING, FAILED, job_state
from jobs.services import JobNotRetryable, job_retry

__all__ = [
    "UploadNotConfirmable",
    "upload_path",
    "workbook_upload_check",
    "workbook_upload_confirm",
    "workbook_upload_discard",
    "workbook_upload_retry",
]


class UploadNotConfirmable(Exception):
    """The upload cannot be imported (or discarded) in its present state; the message says why
    and is fit for a person."""


def _expire_stale_uploads(*, now: datetime.datetime) -> None:
    """After HMS_IMPORT_KEEP_HOURS, uploads lose their files (patients' data) and become
    discarded: checked ones nobody confirmed, and those whose check or import was interrupted
    (a job that has not moved for that long: its worker was killed; nothing of an interrupted
    import was written)."""
    cutoff = now - datetime.timedelta(hours=settings.HMS_IMPORT_KEEP_HOURS)
    waiting = Q(status=UploadStatus.CHECKED, created_at__lt=cutoff)
    interrupted = Q(
        status__in=(UploadStatus.CHECKING, UploadStatus.IMPORTING), updated_at__lt=cutoff
    )
    stale = WorkbookUpload.objects.select_for_update(skip_locked=True).filter(waiting | interrupted)
    for upload in stale:
        why = "not confirmed in time"
        if upload.status != UploadStatus.CHECKED:
            stage = "check" if upload.status == UploadStatus.CHECKING else "import"
            why = f"its {stage} was interrupted"
        upload.status = UploadStatus.DISCARDED
        upload.progress = ""
        upload.report = {**upload.report, "discarded": f"expired: {why}"}
        upload.save(update_fields=["status", "progress", "report", "updated_at"])
        upload_changes_delete(upload)
        delete_files_on_commit(upload)


@transaction.atomic
def workbook_upload_check(*, files: list[UploadedFile], by: Any) -> WorkbookUpload:
    """Keep the uploaded workbook and queue its check (a dry run, in a worker): nothing is
    imported. The upload is `checking`, then `checked` (ready to confirm), `rejected` (with
    every problem) or `unchanged` (the system already matches it).
    Cost here: writing the files, two INSERTs (the upload, its job) and one UPDATE."""
    _expire_stale_uploads(now=timezone.now())
    folder_name = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR / folder_name
    try:
        workbook_file, size, sha256 = save_files(files, folder)
        upload = WorkbookUpload(
            uploaded_by=acting_user(by),
            original_name=", ".join(sorted(f.name for f in files))[:500],
            folder=folder_name,
            workbook_file=workbook_file,
            size_bytes=size,
            sha256=sha256,
            status=UploadStatus.CHECKING,
            progress="Waiting for a worker to start the check",
        )
        upload.full_clean()
        upload.save()
        audit.audit_record(
            actor=by,
            action=audit.Action.CREATE,
            obj=upload,
            changes={"workbook_upload": {"sha256": sha256, "bytes": size}},
        )
        upload_job_defer(upload)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


def _refusal(upload: WorkbookUpload, doing: str) -> UploadNotConfirmable:
    if upload.status == UploadStatus.IMPORTED:
        who = upload.imported_by.get_username() if upload.imported_by else "someone"
        when = timezone.localtime(upload.imported_at).strftime("%Y-%m-%d %H:%M")
        return UploadNotConfirmable(
            f"This workbook was already imported by {who} at {when}; nothing was done."
        )
    if upload.status == UploadStatus.IMPORTING:
        who = upload.confirmed_by.get_username() if upload.confirmed_by else "someone"
        return UploadNotConfirmable(
            f"{who} confirmed this workbook already; it is being imported. Nothing more was done."
        )
    return UploadNotConfirmable(
        f"This upload cannot be {doing}: it is “{upload.get_status_display()}”. "
        "Upload the workbook again to check it afresh."
    )


def _locked(upload: WorkbookUpload) -> WorkbookUpload:
    return (
        WorkbookUpload.objects.select_for_update(of=("self",))
        .select_related("confirmed_by")
        .get(pk=upload.pk)
    )


@transaction.atomic
def workbook_upload_confirm(
    *, upload: WorkbookUpload, by: Any, apply_updates: bool = False
) -> WorkbookUpload:
    """Queue the import of a checked upload (run by a worker): its new records, and its updates
    to records already in the system only with `apply_updates` (the clerk confirms them
    apart). The workbook is checked again against the system as it is then: any problem
    imports nothing and the upload becomes `rejected` with the new report; a plan that is not
    the one the check showed (a record changed meanwhile) imports nothing either, and the
    upload is `checked` again with the new check, to be read and confirmed afresh. Two
    confirmations at once import once: the upload's row is locked and only a `checked` upload
    moves to `importing`; the other is refused with UploadNotConfirmable, as is a
    confirmation that would import nothing (updates only, not confirmed).
    Cost here: four statements (lock, update, the job's INSERT, its id)."""
    upload = _locked(upload)
    if upload.status != UploadStatus.CHECKED:
        raise _refusal(upload, "imported")
    check = upload.report.get("check", {})
    if not apply_updates and check.get("updates") and not check.get("created_alone"):
        raise UploadNotConfirmable(
            "This workbook only updates records already in the system: tick “Also apply the "
            "updates” to import it. Nothing was done."
        )
    upload.apply_updates = apply_updates
    upload.status = UploadStatus.IMPORTING
    upload.confirmed_at = timezone.now()
    upload.confirmed_by = acting_user(by)
    upload.progress = "Waiting for a worker to start the import"
    upload.full_clean()
    upload.save()
    upload_job_defer(upload)
    return upload


@transaction.atomic
def workbook_upload_retry(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Run again the check or import of an upload whose job was interrupted (its worker
    killed or its machine lost; `upload_is_stalled`). Nothing of an interrupted import was
    written (one transaction), so the retry imports the workbook whole. The job itself is
    queued again when it can be (failed, or stalled on a dead worker: jobs.services.job_retry),
    else a new one is queued. A job that is not interrupted is refused with
    UploadNotConfirmable. Audited."""
    upload = _locked(upload)
    if not upload_is_stalled(upload):
        raise UploadNotConfirmable(
            "This upload's job is not interrupted: it is queued, running or over. Nothing was done."
        )
    retried = False
    if upload.job_id is not None and job_state(job_id=upload.job_id).status in (DOING, FAILED):
        try:
            job_retry(job_id=upload.job_id, by=by)
            retried = True
        except JobNotRetryable:
            pass  # its session is gone yet its worker lives: a new job does the work
    if not retried:
        upload_job_defer(upload)
    stage = "check" if upload.status == UploadStatus.CHECKING else "import"
    upload.progress = f"Waiting for a worker to start the {stage} again"
    upload.save(update_fields=["progress", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=upload,
        changes={"retried": {"stage": stage, "job": upload.job_id}},
    )
    return upload


@transaction.atomic
def workbook_upload_discard(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Drop a checked upload, or one whose check or import was interrupted, without importing
    it; its files are deleted. (A job that still finds it later does nothing.)"""
    upload = _locked(upload)
    if upload.status != UploadStatus.CHECKED and not upload_is_stalled(upload):
        raise _refusal(upload, "discarded")
    upload.status = UploadStatus.DISCARDED
    upload.progress = ""
    upload.confirmed_at = upload.confirmed_by = None
    upload.report = {**upload.report, "discarded": f"by {by.get_username()}"}
    upload.save()
    upload_changes_delete(upload)
    delete_files_on_commit(upload)
    audit.audit_record(
        actor=by, action=audit.Action.UPDATE, obj=upload, changes={"status": "discarded"}
    )
    return upload
