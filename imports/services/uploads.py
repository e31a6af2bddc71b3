"""The upload page's workflow: keep an uploaded workbook, check it, import it when confirmed.

Checking or importing a large workbook takes minutes, longer than a request should (a proxy
in front would time out), so both run as a job in a background thread of the web process and
the page follows the upload's `status` and `progress`. While a job works on an upload it
holds a PostgreSQL advisory lock named after the upload, on its own connection: if the
process dies (a restart, a deploy), the connection closes, the lock goes with it, and
`upload_is_stalled` tells the page the job was interrupted. An import that dies halfway is
rolled back by PostgreSQL like any unfinished transaction.

`settings.HMS_IMPORT_IN_BACKGROUND = False` runs the jobs inline instead (the tests that
drive the page with Django's test client, which cannot see another thread's work).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.actors import acting_user
from imports.models import WORKING, UploadStatus, WorkbookUpload
from imports.private_files import private_file, private_folder
from imports.services.workbook import COUNT_ORDER, COUNT_UNITS, ImportReport, workbook_import
from imports.workbook import Problem, sheet_for

logger = logging.getLogger(__name__)

# Under MEDIA_ROOT: where uploaded workbooks wait.
UPLOAD_DIR = "imports"
# First key of the advisory locks that mark a running job (the second is the upload's id).
LOCK_CLASS = 7_240_601
# A working upload without its lock for this long was interrupted (not merely starting).
STALL_AFTER = datetime.timedelta(seconds=30)
# Progress is written at most this often (seconds).
PROGRESS_EVERY = 1.0
# Conflicts kept in an upload's report (and listed on its page); the count covers them all.
CONFLICTS_KEPT = 500


class UploadNotConfirmable(Exception):
    """The upload cannot be imported (or discarded) in its present state; the message says why
    and is fit for a person."""


# --- Files ----------------------------------------------------------------------------------


def _folder(upload: WorkbookUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR / upload.folder


def upload_path(upload: WorkbookUpload) -> Path:
    """The folder an upload's files wait in (or the .xlsx in it): what `workbook_import` reads."""
    folder = _folder(upload)
    return folder / upload.workbook_file if upload.workbook_file else folder


def _delete_files_on_commit(upload: WorkbookUpload) -> None:
    folder = _folder(upload)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def _save_files(files: list[UploadedFile], folder: Path) -> tuple[str, int, str]:
    """Write the uploaded files into `folder`: (the .xlsx's name or "", bytes, SHA-256)."""
    private_folder(folder)
    digest = hashlib.sha256()
    size = 0
    workbook_file = ""
    for upload in sorted(files, key=lambda f: f.name):
        if upload.name.lower().endswith(".xlsx"):
            workbook_file = target = "workbook.xlsx"
        else:
            # Named after its sheet: never after what the browser sent.
            target = f"{sheet_for(upload.name)}.csv"
        with private_file(folder / target) as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    return workbook_file, size, digest.hexdigest()


# --- Reports --------------------------------------------------------------------------------


def _report_data(report: ImportReport) -> dict[str, Any]:
    """What the upload page shows of a check or an import, as JSON."""

    def rows(problems: list[Problem]) -> list[list[Any]]:
        return [[p.sheet, p.row, p.column, p.message] for p in problems]

    return {
        "written": report.written,
        "outcome": report.outcome(),
        "errors": rows(report.errors),
        "warnings": rows(report.warnings),
        "rows_read": report.rows_read,
        "counts": [
            {
                "sheet": sheet,
                "unit": COUNT_UNITS.get(sheet, ""),
                "created": report.counts[sheet].created,
                "updated": report.counts[sheet].updated,
                "unchanged": report.counts[sheet].unchanged,
                "skipped": report.counts[sheet].skipped,
            }
            for sheet in COUNT_ORDER
        ],
        "conflicts": report.conflicts[:CONFLICTS_KEPT],
        "conflict_total": len(report.conflicts),
        "unresolved": report.unresolved,
        "changes": report.changes,
        "seconds": round(report.seconds, 1),
        "at": timezone.now().isoformat(),
    }


# --- Background jobs ------------------------------------------------------------------------


def _start(job: Callable[..., None], *args: Any) -> None:
    """Run `job(*args)` after the caller's transaction commits: in a thread of its own (with
    its own database connection), or inline when background jobs are off."""
    if not settings.HMS_IMPORT_IN_BACKGROUND:
        job(*args)
        return

    def run() -> None:
        close_old_connections()
        try:
            job(*args)
        finally:
            connections.close_all()

    transaction.on_commit(
        lambda: threading.Thread(target=run, name=f"hms-{job.__name__}", daemon=False).start()
    )


def _locked_job(job: Callable[[WorkbookUpload], None]) -> Callable[[int], None]:
    """Wrap a job on one upload: hold the upload's advisory lock while it runs, and turn an
    unexpected error into a `failed` upload (logged) rather than one left working forever."""

    def run(upload_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, upload_id])
        try:
            upload = WorkbookUpload.objects.select_related("confirmed_by").get(pk=upload_id)
            if upload.status in WORKING:
                job(upload)
        except Exception as exc:
            if connection.in_atomic_block:
                raise  # run inline inside the caller's transaction: the caller sees the error
            logger.exception("Workbook upload %s failed", upload_id)
            _fail(upload_id, exc)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, upload_id])

    run.__name__ = job.__name__
    return run


def _fail(upload_id: int, exc: Exception) -> None:
    with transaction.atomic():
        upload = WorkbookUpload.objects.select_for_update().get(pk=upload_id)
        upload.status = UploadStatus.FAILED
        upload.progress = ""
        upload.report = {**upload.report, "failure": f"{type(exc).__name__}: {exc}"}
        upload.save(update_fields=["status", "progress", "report", "updated_at"])
        _delete_files_on_commit(upload)


class _ProgressWriter:
    """The `progress` callback of a job: shows the latest line on the page, a row count at most
    once a second (a phase line always). Inside the import's transaction an UPDATE would only
    become visible when it ends, so a job in a thread of its own writes those through a second,
    autocommit connection; run inline (inside a caller's transaction, the upload's row locked)
    it skips them."""

    def __init__(self, upload_id: int, *, own_connection: bool) -> None:
        self.upload_id = upload_id
        self.own_connection = own_connection
        self.last = 0.0
        self.side: psycopg.Connection | None = None

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if message.endswith(("rows read", "rows written")) and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        message = message[:200]
        if not connection.in_atomic_block:
            WorkbookUpload.objects.filter(pk=self.upload_id).update(
                progress=message, updated_at=timezone.now()
            )
        elif self.own_connection:
            if self.side is None:
                self.side = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self.side.execute(
                f"UPDATE {WorkbookUpload._meta.db_table} SET progress = %s, updated_at = now() "
                "WHERE id = %s",
                [message, self.upload_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def upload_is_stalled(upload: WorkbookUpload) -> bool:
    """True when the upload says a job works on it but none does (the process running it
    ended): its advisory lock is not held. One query, only for a working upload."""
    if upload.status not in WORKING or timezone.now() - upload.updated_at < STALL_AFTER:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT NOT EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s
                  AND objsubid = 2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            )
            """,
            [LOCK_CLASS, upload.pk],
        )
        return cursor.fetchone()[0]


def _run_import(upload: WorkbookUpload, *, dry_run: bool, by: Any = None) -> ImportReport:
    progress = _ProgressWriter(upload.pk, own_connection=settings.HMS_IMPORT_IN_BACKGROUND)
    try:
        return workbook_import(
            path_or_file=upload_path(upload),
            dry_run=dry_run,
            by=by,
            progress=progress,
            resolutions=upload.report.get("resolutions", {}),
        )
    finally:
        progress.close()


def _finish(upload_id: int, report: ImportReport, *, stage: str, done: str, **stamps: Any) -> None:
    """Record the job's report and the upload's next status: rejected on any problem,
    unchanged when nothing would change (and a check left no conflict to resolve), otherwise
    `done` (with `stamps` set). Only a checked upload keeps its files."""
    with transaction.atomic():
        upload = WorkbookUpload.objects.select_for_update().get(pk=upload_id)
        if not report.ok:
            upload.status = UploadStatus.REJECTED
        elif not report.changed and not (stage == "check" and report.unresolved):
            upload.status = UploadStatus.UNCHANGED
        else:
            upload.status = done
            for name, value in stamps.items():
                setattr(upload, name, value)
        upload.progress = ""
        upload.report = {**upload.report, stage: _report_data(report)}
        upload.full_clean()
        upload.save()
        if upload.status != UploadStatus.CHECKED:
            _delete_files_on_commit(upload)


@_locked_job
def _check_job(upload: WorkbookUpload) -> None:
    report = _run_import(upload, dry_run=True)
    _finish(upload.pk, report, stage="check", done=UploadStatus.CHECKED)


@_locked_job
def _import_job(upload: WorkbookUpload) -> None:
    by = upload.confirmed_by
    report = _run_import(upload, dry_run=False, by=by)
    _finish(
        upload.pk,
        report,
        stage="import",
        done=UploadStatus.IMPORTED,
        imported_at=timezone.now(),
    )


# --- Services -------------------------------------------------------------------------------


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
        _delete_files_on_commit(upload)


@transaction.atomic
def workbook_upload_check(*, files: list[UploadedFile], by: Any) -> WorkbookUpload:
    """Keep the uploaded workbook and check it (a dry run, in the background): nothing is
    imported. The upload is `checking`, then `checked` (ready to confirm), `rejected` (with
    every problem) or `unchanged` (the system already matches it).
    Cost here: writing the files and one INSERT; the check runs after the commit."""
    _expire_stale_uploads(now=timezone.now())
    folder_name = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR / folder_name
    try:
        workbook_file, size, sha256 = _save_files(files, folder)
        upload = WorkbookUpload(
            uploaded_by=acting_user(by),
            original_name=", ".join(sorted(f.name for f in files))[:500],
            folder=folder_name,
            workbook_file=workbook_file,
            size_bytes=size,
            sha256=sha256,
            status=UploadStatus.CHECKING,
        )
        upload.full_clean()
        upload.save()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=upload,
        changes={"workbook_upload": {"sha256": sha256, "bytes": size}},
    )
    _start(_check_job, upload.pk)
    upload.refresh_from_db()
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


@transaction.atomic
def workbook_upload_confirm(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Import a checked upload (in the background). The workbook is checked again against the
    system as it is then (a booking made since the check may conflict): any problem imports
    nothing and the upload becomes `rejected` with the new report. Two confirmations at once
    import once: the upload's row is locked and only a `checked` upload moves to `importing`;
    the other is refused with UploadNotConfirmable. Cost here: two statements."""
    upload = (
        WorkbookUpload.objects.select_for_update(of=("self",))
        .select_related("confirmed_by")
        .get(pk=upload.pk)
    )
    if upload.status != UploadStatus.CHECKED:
        raise _refusal(upload, "imported")
    upload.status = UploadStatus.IMPORTING
    upload.confirmed_at = timezone.now()
    upload.confirmed_by = acting_user(by)
    upload.progress = "Waiting to start"
    upload.full_clean()
    upload.save()
    _start(_import_job, upload.pk)
    upload.refresh_from_db()
    return upload


@transaction.atomic
def workbook_upload_discard(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Drop a checked upload, or one whose check or import was interrupted, without importing
    it; its files are deleted."""
    upload = (
        WorkbookUpload.objects.select_for_update(of=("self",))
        .select_related("confirmed_by")
        .get(pk=upload.pk)
    )
    if upload.status != UploadStatus.CHECKED and not upload_is_stalled(upload):
        raise _refusal(upload, "discarded")
    upload.status = UploadStatus.DISCARDED
    upload.progress = ""
    upload.confirmed_at = upload.confirmed_by = None
    upload.report = {**upload.report, "discarded": f"by {by.get_username()}"}
    upload.save()
    _delete_files_on_commit(upload)
    audit.audit_record(
        actor=by, action=audit.Action.UPDATE, obj=upload, changes={"status": "discarded"}
    )
    return upload
