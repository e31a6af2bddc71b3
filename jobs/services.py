"""Writes on the job queue: an administrator's retry of a failed or stalled job, and the
queue's upkeep (stalled jobs ended, old jobs removed) that jobs.tasks runs periodically."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from procrastinate import sql

from core import audit
from jobs import app
from jobs.engine import STALLED_AFTER_SECONDS
from jobs.selectors import DOING, FAILED


class JobNotRetryable(Exception):
    """The job cannot be retried now; the message says why and is fit for a person."""


_LOCK_JOB = """
    SELECT job.status::text, job.task_name,
           worker.last_heartbeat > now() - make_interval(secs => %(stalled)s)
      FROM procrastinate_jobs AS job
      LEFT JOIN procrastinate_workers AS worker ON worker.id = job.worker_id
     WHERE job.id = %(job_id)s
       FOR UPDATE OF job
"""


@transaction.atomic
def job_retry(*, job_id: int, by: Any) -> None:
    """Queue job `job_id` again: a failed job, or one marked running whose worker stopped
    sending heartbeats (killed, or its machine gone). A job queued, running on a live worker
    or finished well is refused with JobNotRetryable, so that two workers never run one job.
    The job keeps its id and counts one more attempt; the retry is an audit row.
    Cost: two statements and the audit INSERT, in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_JOB, {"job_id": job_id, "stalled": STALLED_AFTER_SECONDS})
        row = cursor.fetchone()
    if row is None:
        raise JobNotRetryable(f"Job {job_id} no longer exists; nothing was retried.")
    status, task_name, worker_alive = row
    if not (status == FAILED or (status == DOING and not worker_alive)):
        state = "running on a live worker" if status == DOING else status
        raise JobNotRetryable(
            f"Job {job_id} is {state}: only a failed job, or one whose worker stopped, is "
            "retried. Nothing was done."
        )
    with connection.cursor() as cursor:
        # procrastinate's own statement (JobManager.retry_job_by_id), on this connection in
        # any process: a worker's app writes through a pool of its own, outside this lock.
        cursor.execute(
            sql.queries["retry_job"],
            {
                "job_id": job_id,
                # At once: no scheduled time (so no clock but the database's counts).
                "retry_at": None,
                "new_priority": None,
                "new_queue_name": None,
                "new_lock": None,
            },
        )
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        changes={"job_retry": {"job": job_id, "task": task_name, "was": status}},
    )


class WorkerStopped(Exception):
    """The worker running a job stopped sending heartbeats before the job ended: killed,
    out of memory, or its machine lost."""


# Jobs marked running whose worker is silent (or gone: procrastinate deletes the rows of
# workers silent for long, which empties the jobs' worker_id). SKIP LOCKED: a job a retry
# holds is left to it.
_STALLED = """
    SELECT job.id, job.status::text AS status, job.priority, job.lock, job.queueing_lock,
           job.task_name, job.args, job.scheduled_at, job.queue_name, job.attempts,
           job.worker_id
      FROM procrastinate_jobs AS job
      LEFT JOIN procrastinate_workers AS worker ON worker.id = job.worker_id
     WHERE job.status = 'doing'
       AND (worker.id IS NULL
            OR worker.last_heartbeat < now() - make_interval(secs => %(stalled)s))
       FOR UPDATE OF job SKIP LOCKED
"""


@transaction.atomic
def jobs_reap_stalled() -> list[int]:
    """End every stalled job (marked running, its worker silent for STALLED_AFTER_SECONDS):
    each gets a JobError naming WorkerStopped; a task whose retry strategy allows another
    attempt is queued again at the time it says, any other fails and waits for an
    administrator's retry (a half-done import is not restarted behind anyone's back).
    Returns the ids. Cost: one locking SELECT, then two statements per stalled job."""
    from procrastinate.jobs import Job

    from jobs.engine import describe, job_error_record

    with connection.cursor() as cursor:
        cursor.execute(_STALLED, {"stalled": STALLED_AFTER_SECONDS})
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        job = Job.from_row(row)
        error = WorkerStopped(
            f"the worker running it sent no heartbeat for {STALLED_AFTER_SECONDS:.0f} s"
        )
        task = app.tasks.get(job.task_name)
        retry = task.get_retry_exception(exception=error, job=job) if task else None
        job_error_record(
            job_id=row["id"],
            task_name=job.task_name,
            attempt=job.attempts + 1,
            error=describe(error),
        )
        with connection.cursor() as cursor:
            if retry is not None:
                decision = retry.retry_decision
                cursor.execute(
                    sql.queries["retry_job"],
                    {
                        "job_id": row["id"],
                        "retry_at": decision.retry_at,
                        "new_priority": decision.priority,
                        "new_queue_name": decision.queue,
                        "new_lock": decision.lock,
                    },
                )
            else:
                cursor.execute(
                    sql.queries["finish_job"],
                    {"job_id": row["id"], "status": FAILED, "delete_job": False},
                )
    return [row["id"] for row in rows]


# Statuses of a job that ended (procrastinate's enum).
_ENDED = ["succeeded", "failed", "cancelled", "aborted"]


@transaction.atomic
def jobs_remove_old(*, days: int) -> int:
    """Delete jobs that ended more than `days` ago (with their events) and older job errors.
    Returns how many jobs. Cost: procrastinate's delete_old_jobs, which reads every job's
    latest event once, and one DELETE of errors."""
    from jobs.models import JobError

    with connection.cursor() as cursor:
        cursor.execute(
            sql.queries["delete_old_jobs"],
            {"nb_hours": days * 24, "queue": None, "statuses": _ENDED},
        )
        removed = cursor.rowcount
    JobError.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=days)).delete()
    return removed
