"""The background jobs of the upload page: checking an upload, and importing it once confirmed.

Both run in a worker process (imports.tasks, on procrastinate), never in the web process: a
large workbook takes minutes, longer than a request should, and a web server that is
recycled or redeployed would take the work with it. The page follows the upload's `status`
and `progress`.

A job takes the upload's id and is idempotent: it works only on an upload still `checking`
(or `importing`), and a second run after the first finished changes nothing. While it works
it holds a PostgreSQL advisory lock named after the upload, on its own session, so two runs
never overlap and a job whose process died (its session closed, the lock gone) shows at once
as interrupted (`upload_is_stalled`). An import is one transaction, the upload's new status
included: a worker killed halfway leaves the database exactly as before, and a retry
(`workbook_upload_retry`) imports it whole.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from imports.models import WORKING, UploadStatus, WorkbookUpload
from imports.services.upload_changes import upload_changes_delete, upload_changes_replace
from imports.services.upload_files import delete_files_on_commit, upload_path
from imports.services.workbook import COUNT_ORDER, COUNT_UNITS, ImportReport, workbook_import
from imports.workbook import Problem
from jobs.selectors import TODO, job_state

logger = logging.getLogger(__name__)

# First key of the advisory locks that mark a running job (the second is the upload's id).
LOCK_CLASS = 7_240_601
# A job a worker took this long ago should hold its lock by now (it takes it first thing).
TAKE_LOCK_WITHIN = datetime.timedelta(seconds=10)
# An upload without a job id (made before jobs had one) is interrupted when its lock is free
# and it has not moved for this long.
STALL_AFTER = datetime.timedelta(seconds=30)
# Progress is written at most this often (seconds).
PROGRESS_EVERY = 1.0
# Conflicts kept in an upload's report (and listed on its page); the count covers them all.
CONFLICTS_KEPT = 500


class _Superseded(Exception):
    """The upload left its working status while the job ran (discarded as interrupted): the
    job's work is rolled back."""


# --- Queueing ---------------------------------------------------------------------------------


def upload_job_defer(upload: WorkbookUpload) -> None:
    """Queue the job the upload's status calls for (check or import), in the caller's
    transaction: the job exists only if it commits. Sets and saves `upload.job_id`."""
    from imports import tasks  # the tasks call this module's job bodies

    task = tasks.upload_check if upload.status == UploadStatus.CHECKING else tasks.upload_import
    upload.job_id = task.defer(upload_id=upload.pk)
    upload.save(update_fields=["job_id", "updated_at"])


def _lock_is_free(upload_id: int) -> bool:
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
            [LOCK_CLASS, upload_id],
        )
        return cursor.fetchone()[0]


def upload_is_stalled(upload: WorkbookUpload) -> bool:
    """True when the upload says a job works on it but none does or will: its job ended
    (failed, or finished without moving the upload) or was taken by a worker that stopped
    (its heartbeat is silent, or its session and so the upload's lock are gone). A job still
    queued is not stalled: it waits for a worker. Two queries, only for a working upload."""
    if upload.status not in WORKING:
        return False
    if upload.job_id is None:
        recent = timezone.now() - upload.updated_at < STALL_AFTER
        return not recent and _lock_is_free(upload.pk)
    state = job_state(job_id=upload.job_id)
    if state.status == TODO:
        return False
    if state.ended or state.stalled:
        return True
    # Running on a live worker: its lock tells whether the job still has its session.
    taken_long_ago = (
        state.started_at is not None and timezone.now() - state.started_at > TAKE_LOCK_WITHIN
    )
    return taken_long_ago and _lock_is_free(upload.pk)


def upload_is_queued(upload: WorkbookUpload) -> bool:
    """True while the upload's job waits for a worker to take it. One query."""
    if upload.status not in WORKING or upload.job_id is None:
        return False
    return job_state(job_id=upload.job_id).status == TODO


# --- Reports ------------------------------------------------------------------------------------


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
                "held": report.counts[sheet].held,
            }
            for sheet in COUNT_ORDER
        ],
        "conflicts": report.conflicts[:CONFLICTS_KEPT],
        "conflict_total": len(report.conflicts),
        "unresolved": report.unresolved,
        # Per sheet, how many records change and how many of those need care; the changes
        # themselves are UploadChange rows.
        "changes": [
            {"sheet": block["sheet"], "total": block["total"], "risky": block["risky"]}
            for block in report.changes
        ],
        "updates": sum(block["total"] for block in report.changes),
        "risky": sum(block["risky"] for block in report.changes),
        # What confirming without the updates creates, and what it holds back with them.
        "created_alone": sum(c.created for name, c in report.alone.items() if name != "Specialty"),
        "held_alone": sum(c.held - report.counts[name].updated for name, c in report.alone.items()),
        "created": sum(c.created for name, c in report.counts.items() if name != "Specialty"),
        "digests": report.digests,
        "updates_applied": report.updates_applied,
        "rechecked": report.stale,
        "seconds": round(report.seconds, 1),
        "at": timezone.now().isoformat(),
    }


# --- Running ------------------------------------------------------------------------------------


class _ProgressWriter:
    """The `progress` callback of a job: shows the latest line on the page, a row count at most
    once a second (a phase line always). Inside the import's transaction an UPDATE would only
    become visible when it ends, so those go through a second, autocommit connection; a job
    run inside a caller's transaction (a test's) skips them."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.own_connection = not connection.in_atomic_block
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


def _run_import(
    upload: WorkbookUpload, progress: _ProgressWriter, *, dry_run: bool, by: Any = None
) -> ImportReport:
    """The check (`dry_run`), or the import of what the clerk confirmed: the new records, and
    the updates only if confirmed too; only the very plan the check showed (its digest),
    else nothing is written and the report is a new check (`ImportReport.stale`)."""
    if dry_run:
        return workbook_import(
            path_or_file=upload_path(upload),
            dry_run=True,
            progress=progress,
            resolutions=upload.report.get("resolutions", {}),
        )
    digests = upload.report.get("check", {}).get("digests", {})
    part = "all" if upload.apply_updates else "creations"
    return workbook_import(
        path_or_file=upload_path(upload),
        by=by,
        progress=progress,
        resolutions=upload.report.get("resolutions", {}),
        apply_updates=upload.apply_updates,
        # A check without digests (made before they were kept) is checked again.
        expect=digests.get(part, ""),
    )


def _finish(upload_id: int, report: ImportReport, *, stage: str, done: str, **stamps: Any) -> None:
    """Record the job's report and the upload's next status: rejected on any problem,
    unchanged when nothing would change (and a check left no conflict to resolve), otherwise
    `done` (with `stamps` set). Only a checked upload keeps its files. Raises _Superseded when
    the upload no longer waits for this job."""
    with transaction.atomic():
        upload = WorkbookUpload.objects.select_for_update().get(pk=upload_id)
        if upload.status not in WORKING:
            raise _Superseded(upload.status)
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
        if stage == "check":
            # Checked again at the import (the system changed): confirm again, afresh.
            upload.report.pop("import", None)
            upload.confirmed_at = upload.confirmed_by = None
            upload.apply_updates = False
        upload.full_clean()
        upload.save()
        if upload.status == UploadStatus.CHECKED:
            upload_changes_replace(upload, report.change_list)
        elif upload.status != UploadStatus.IMPORTED:
            upload_changes_delete(upload)  # nothing of it will be imported
        if upload.status != UploadStatus.CHECKED:
            delete_files_on_commit(upload)


def _fail(upload_id: int, exc: Exception) -> None:
    with transaction.atomic():
        upload = WorkbookUpload.objects.select_for_update().get(pk=upload_id)
        if upload.status not in WORKING:
            return
        upload.status = UploadStatus.FAILED
        upload.progress = ""
        upload.report = {**upload.report, "failure": f"{type(exc).__name__}: {exc}"}
        upload.save(update_fields=["status", "progress", "report", "updated_at"])
        upload_changes_delete(upload)
        delete_files_on_commit(upload)


def _locked_job(
    stage: str, work: Callable[[WorkbookUpload, _ProgressWriter], None]
) -> Callable[..., None]:
    """A job on one upload: holds the upload's advisory lock while it runs (waiting for a run
    that still holds it: a process killed mid-statement lets go when PostgreSQL notices), works
    only on an upload still in `stage`'s working status, and turns an unexpected error into a
    `failed` upload before re-raising it (so that the job fails too, with the error kept)."""
    status = UploadStatus.CHECKING if stage == "check" else UploadStatus.IMPORTING

    def run(*, upload_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, upload_id])
        progress = _ProgressWriter(upload_id)
        try:
            upload = WorkbookUpload.objects.select_related("confirmed_by").get(pk=upload_id)
            if upload.status != status:
                logger.info("Upload %s is %s: nothing to %s", upload_id, upload.status, stage)
                return
            work(upload, progress)
        except _Superseded as superseded:
            logger.warning("Upload %s became %s while its %s ran", upload_id, superseded, stage)
        except Exception as exc:
            logger.exception("Workbook upload %s: the %s failed", upload_id, stage)
            _fail(upload_id, exc)
            raise
        finally:
            progress.close()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, upload_id])

    return run


def _check(upload: WorkbookUpload, progress: _ProgressWriter) -> None:
    report = _run_import(upload, progress, dry_run=True)
    _finish(upload.pk, report, stage="check", done=UploadStatus.CHECKED)


def _import(upload: WorkbookUpload, progress: _ProgressWriter) -> None:
    # One transaction: the records and the upload's new status commit together or not at all.
    with transaction.atomic():
        report = _run_import(upload, progress, dry_run=False, by=upload.confirmed_by)
        if report.stale:
            # Not what the clerk read: nothing written; the page shows the new check.
            _finish(upload.pk, report, stage="check", done=UploadStatus.CHECKED)
            return
        _finish(
            upload.pk,
            report,
            stage="import",
            done=UploadStatus.IMPORTED,
            imported_at=timezone.now(),
        )


# The job bodies imports.tasks runs: `upload_check_run(upload_id=...)`.
upload_check_run = _locked_job("check", _check)
upload_import_run = _locked_job("import", _import)
