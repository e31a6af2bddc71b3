"""Bringing a hospital's workbook into the system (`python manage.py import_workbook`).

`workbook_import` reads and checks the whole workbook first; only a workbook without a single
problem is written, in one transaction, so an import is all or nothing. The command and the
upload page both call it and show its `ImportReport`.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from hms import audit
from imports.models import UploadStatus, WorkbookUpload
from imports.plan import Counts, build_plan
from imports.workbook import SHEETS, Problem, read_workbook, sheet_for
from imports.writer import write_plan

Progress = Callable[[str], None]

# Under MEDIA_ROOT: where uploaded workbooks wait for confirmation.
UPLOAD_DIR = "imports"

# The order counts are shown in: the sheets, with the specialties the Doctor sheet creates.
COUNT_ORDER = (
    "Medication_Cost",
    "Specialty",
    "Doctor",
    "Patient",
    "Appointment",
    "PatientsAttendAppointments",
    "MedicalHistory",
)
# What each count counts, where it is not one record per row.
COUNT_UNITS = {
    "Specialty": "from Doctor.Specialization",
    "PatientsAttendAppointments": "attendances",
    "MedicalHistory": "entries: condition, surgery, medication",
}
_SHEET_ORDER = {spec.name: index for index, spec in enumerate(SHEETS)}


@dataclass
class ImportReport:
    """The outcome of one import: problems, warnings, and per-sheet counts of records created,
    updated and unchanged (what would happen, for a dry run or a workbook with errors)."""

    source: str = ""
    dry_run: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in COUNT_ORDER})
    rows_read: dict[str, int] = field(default_factory=dict)
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    def count_lines(self) -> list[str]:
        verb = "would be " if self.dry_run or self.errors else ""
        lines = []
        for name in COUNT_ORDER:
            c = self.counts[name]
            unit = f" ({COUNT_UNITS[name]})" if name in COUNT_UNITS else ""
            lines.append(
                f"{name}{unit}: {c.created:,} {verb}created, {c.updated:,} {verb}updated, "
                f"{c.unchanged:,} unchanged"
            )
        return lines

    def outcome(self) -> str:
        if self.errors:
            return f"{len(self.errors):,} problem(s) found; nothing was imported."
        if not self.changed:
            return "Nothing to change: the system already matches the workbook."
        if self.dry_run:
            return "Dry run: the workbook is valid; nothing was written."
        return f"Imported in {self.seconds:.1f} s."


def _sort(problems: list[Problem]) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (_SHEET_ORDER.get(p.sheet, -1), p.row or 0),
    )


def workbook_import(
    *,
    path_or_file: Any,
    dry_run: bool = False,
    by: Any = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the seed-shaped workbook at `path_or_file`: an `.xlsx` path or open file, or a
    folder of CSV files named after the sheets.

    Every problem is reported before anything is written; with any problem, or with
    `dry_run`, nothing is written. Otherwise every sheet is written in one transaction, and a
    refusal by the database (a booking made meanwhile) rolls it all back and is reported.
    `by` is the user recorded in the audit log and on appointment status changes.
    `progress` receives a line now and then on large workbooks.
    Cost: a few queries per 10,000 rows to read what exists, then a few statements per sheet.
    """
    started = time.monotonic()

    def say(message: str) -> None:
        if progress:
            progress(message)

    book = read_workbook(path_or_file, progress=progress)
    report = ImportReport(source=book.source, dry_run=dry_run, rows_read=dict(book.row_counts))
    report.errors.extend(book.problems)
    if book.unreadable:
        report.errors = _sort(report.errors)
        report.seconds = time.monotonic() - started
        return report

    say("Checking against the records in the system")
    plan = build_plan(book, report.counts)
    report.errors = _sort(report.errors + plan.errors)
    report.warnings = _sort(plan.warnings)
    if report.errors or dry_run or not report.changed:
        report.seconds = time.monotonic() - started
        return report

    try:
        with transaction.atomic():
            write_plan(plan, by=by, now=timezone.now(), progress=progress)
            audit.audit_record(
                actor=by,
                action=audit.Action.CREATE,
                changes={
                    "workbook_import": {
                        "source": book.source,
                        "counts": {
                            name: {
                                "created": c.created,
                                "updated": c.updated,
                                "unchanged": c.unchanged,
                            }
                            for name, c in report.counts.items()
                        },
                    }
                },
            )
    except DatabaseError as exc:
        # Something the checks could not see (a booking made while the workbook was read):
        # the transaction is rolled back as a whole.
        message = " ".join(str(exc).split())
        report.errors.append(
            Problem("Database", None, "", f"refused the import, so nothing was imported: {message}")
        )
    else:
        report.written = True
    report.seconds = time.monotonic() - started
    return report


# --- The upload page -----------------------------------------------------------------------------


class UploadNotConfirmable(Exception):
    """The upload cannot be imported (or discarded) in its present state; the message says why
    and is fit for a person."""


def _report_data(report: ImportReport, *, name: str) -> dict[str, Any]:
    """What the upload page shows of a check or an import, as JSON."""

    def rows(problems: list[Problem]) -> list[list[Any]]:
        return [[p.sheet, p.row, p.column, p.message] for p in problems]

    return {
        "source": name,
        "dry_run": report.dry_run,
        "ok": report.ok,
        "changed": report.changed,
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
            }
            for sheet in COUNT_ORDER
        ],
        "seconds": round(report.seconds, 1),
        "at": timezone.now().isoformat(),
    }


def upload_path(upload: WorkbookUpload) -> Path:
    """The folder an upload's files wait in (or the .xlsx in it): what `workbook_import` reads."""
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR / upload.folder
    return folder / upload.workbook_file if upload.workbook_file else folder


def _delete_files_on_commit(upload: WorkbookUpload) -> None:
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR / upload.folder
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def _save_files(files: list[UploadedFile], folder: Path) -> tuple[str, int, str]:
    """Write the uploaded files into `folder`: (the .xlsx's name or "", bytes, SHA-256)."""
    folder.mkdir(parents=True)
    digest = hashlib.sha256()
    size = 0
    workbook_file = ""
    for upload in sorted(files, key=lambda f: f.name):
        if upload.name.lower().endswith(".xlsx"):
            workbook_file = target = "workbook.xlsx"
        else:
            # Named after its sheet: never after what the browser sent.
            target = f"{sheet_for(upload.name)}.csv"
        with (folder / target).open("wb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    return workbook_file, size, digest.hexdigest()


def _expire_stale_uploads(*, now: datetime.datetime) -> None:
    """Checked uploads nobody confirmed within HMS_IMPORT_KEEP_HOURS lose their files."""
    cutoff = now - datetime.timedelta(hours=settings.HMS_IMPORT_KEEP_HOURS)
    stale = list(
        WorkbookUpload.objects.select_for_update(skip_locked=True).filter(
            status=UploadStatus.CHECKED, created_at__lt=cutoff
        )
    )
    for upload in stale:
        upload.status = UploadStatus.DISCARDED
        upload.report = {**upload.report, "discarded": "expired: not confirmed in time"}
        upload.save(update_fields=["status", "report", "updated_at"])
        _delete_files_on_commit(upload)


@transaction.atomic
def workbook_upload_check(*, files: list[UploadedFile], by: Any) -> WorkbookUpload:
    """Keep the uploaded workbook and check it as a dry run: nothing is imported.

    The upload is `checked` (ready to confirm), `rejected` (with every problem) or
    `unchanged` (the system already matches it); only a checked upload keeps its files.
    Cost: the dry run of `workbook_import` (reads the workbook and what exists), one INSERT.
    """
    now = timezone.now()
    _expire_stale_uploads(now=now)
    folder_name = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR / folder_name
    try:
        workbook_file, size, sha256 = _save_files(files, folder)
        upload = WorkbookUpload(
            uploaded_by=by,
            original_name=", ".join(sorted(f.name for f in files))[:500],
            folder=folder_name,
            workbook_file=workbook_file,
            size_bytes=size,
            sha256=sha256,
            status=UploadStatus.CHECKED,
        )
        report = workbook_import(path_or_file=upload_path(upload), dry_run=True, by=by)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not report.ok:
        upload.status = UploadStatus.REJECTED
    elif not report.changed:
        upload.status = UploadStatus.UNCHANGED
    upload.report = {"check": _report_data(report, name=upload.original_name)}
    upload.full_clean()
    upload.save()
    if upload.status != UploadStatus.CHECKED:
        _delete_files_on_commit(upload)
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=upload,
        changes={"workbook_upload": {"status": upload.status, "sha256": sha256, "bytes": size}},
    )
    return upload


def _refuse_unless_checked(upload: WorkbookUpload, doing: str) -> None:
    if upload.status == UploadStatus.CHECKED:
        return
    if upload.status == UploadStatus.IMPORTED:
        who = upload.imported_by.get_username() if upload.imported_by else "someone"
        when = timezone.localtime(upload.imported_at).strftime("%Y-%m-%d %H:%M")
        raise UploadNotConfirmable(
            f"This workbook was already imported by {who} at {when}; nothing was done."
        )
    raise UploadNotConfirmable(
        f"This upload cannot be {doing}: it is “{upload.get_status_display()}”. "
        "Upload the workbook again to check it afresh."
    )


@transaction.atomic
def workbook_upload_confirm(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Import a checked upload. The workbook is checked again against the system as it is now
    (a booking made since the check may conflict): any problem imports nothing and the upload
    becomes `rejected` with the new report. Two confirmations at once import once: the upload's
    row is locked, and the second finds it imported and is refused with UploadNotConfirmable.
    Cost: one `workbook_import`, a few statements."""
    upload = WorkbookUpload.objects.select_for_update().get(pk=upload.pk)
    _refuse_unless_checked(upload, "imported")
    report = workbook_import(path_or_file=upload_path(upload), by=by)
    now = timezone.now()
    if report.written:
        upload.status = UploadStatus.IMPORTED
        upload.imported_at = now
        upload.imported_by = by
    elif not report.ok:
        upload.status = UploadStatus.REJECTED
    else:
        upload.status = UploadStatus.UNCHANGED
    upload.report = {**upload.report, "import": _report_data(report, name=upload.original_name)}
    upload.full_clean()
    upload.save()
    _delete_files_on_commit(upload)
    return upload


@transaction.atomic
def workbook_upload_discard(*, upload: WorkbookUpload, by: Any) -> WorkbookUpload:
    """Drop a checked upload without importing it; its files are deleted."""
    upload = WorkbookUpload.objects.select_for_update().get(pk=upload.pk)
    _refuse_unless_checked(upload, "discarded")
    upload.status = UploadStatus.DISCARDED
    upload.report = {**upload.report, "discarded": f"by {by.get_username()}"}
    upload.save(update_fields=["status", "report", "updated_at"])
    _delete_files_on_commit(upload)
    audit.audit_record(
        actor=by, action=audit.Action.UPDATE, obj=upload, changes={"status": "discarded"}
    )
    return upload
