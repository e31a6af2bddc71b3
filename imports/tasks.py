"""The upload page's background jobs (imports.services.upload_jobs holds what they do).

On the `imports` queue: a worker started with `--queues imports` takes only these, so that a
long import never holds up short jobs (reminders) on a worker of their own."""

from __future__ import annotations

from imports.services.upload_jobs import upload_check_run, upload_import_run
from jobs import app

QUEUE = "imports"


@app.task(name="imports.upload_check", queue=QUEUE)
def upload_check(*, upload_id: int) -> None:
    """Check an uploaded workbook (a dry run): the upload becomes checked, rejected or
    unchanged. Does nothing for an upload no longer `checking`."""
    upload_check_run(upload_id=upload_id)


@app.task(name="imports.upload_import", queue=QUEUE)
def upload_import(*, upload_id: int) -> None:
    """Import a confirmed upload, in one transaction with its new status. Does nothing for an
    upload no longer `importing` (so a retry after a success changes nothing)."""
    upload_import_run(upload_id=upload_id)
