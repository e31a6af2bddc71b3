"""How the project configures procrastinate's app (settings.PROCRASTINATE_ON_APP_READY): worker
defaults, and a worker middleware that keeps every failed attempt's error (jobs.models)."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any

import procrastinate
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections, connection, transaction

if TYPE_CHECKING:
    from procrastinate import job_context, worker
    from procrastinate.middleware import AsyncCallNext

logger = logging.getLogger(__name__)

# A worker writes a heartbeat every HEARTBEAT_SECONDS; one silent for STALLED_AFTER_SECONDS is
# taken for dead, and a job it was running is stalled: no worker will finish it
# (jobs.selectors, jobs.tasks.jobs_reap_stalled).
HEARTBEAT_SECONDS = 10.0
STALLED_AFTER_SECONDS = 30.0
# What a JobError keeps of a long message or traceback (their ends: the innermost frames).
ERROR_CHARS = 2_000
TRACEBACK_CHARS = 20_000


def on_app_ready(app: procrastinate.App) -> None:
    """Called once procrastinate's Django app exists, in every process (web and worker)."""
    defaults = dict(app.worker_defaults)
    defaults["update_heartbeat_interval"] = HEARTBEAT_SECONDS
    defaults["stalled_worker_timeout"] = STALLED_AFTER_SECONDS
    defaults["worker_middleware"] = [
        *defaults.get("worker_middleware", []),
        record_job_errors,
    ]
    app.worker_defaults = defaults  # type: ignore[assignment]


def describe(exc: BaseException) -> str:
    """An exception as the job list shows it: `Type: message`."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:ERROR_CHARS]


def job_error_record(
    *, job_id: int, task_name: str, attempt: int, error: str, trace: str = "", worker: str = ""
) -> None:
    """Keep one failed attempt's error. Never raises: a database that refuses it (the very
    reason the job failed, perhaps) leaves the worker's log as the only record."""
    from jobs.models import JobError

    if not connection.in_atomic_block:
        close_old_connections()  # a connection that died while the worker idled
    try:
        with transaction.atomic():  # a savepoint inside a caller's transaction
            JobError.objects.create(
                job_id=job_id,
                task_name=task_name[:128],
                attempt=attempt,
                error=error,
                traceback=trace[-TRACEBACK_CHARS:],
                worker=(worker or "")[:100],
            )
    except DatabaseError:
        logger.exception("Could not record the error of job %s (%s)", job_id, task_name)


async def record_job_errors(
    call_next: AsyncCallNext, context: job_context.JobContext, worker: worker.Worker
) -> Any:
    """Worker middleware: the error of a job that raises is written to JobError, then the job
    fails (or is retried) as procrastinate decides."""
    try:
        return await call_next()
    except Exception as exc:
        job = context.job
        await sync_to_async(job_error_record, thread_sensitive=True)(
            job_id=job.id,
            task_name=job.task_name,
            attempt=job.attempts + 1,
            error=describe(exc),
            trace="".join(traceback.format_exception(exc)),
            worker=context.worker_name or "",
        )
        raise
