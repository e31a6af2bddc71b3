"""Reads of the job queue (procrastinate's tables) for pages, services and monitoring."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

from jobs.engine import STALLED_AFTER_SECONDS

# procrastinate's job statuses.
TODO, DOING, SUCCEEDED, FAILED, CANCELLED, ABORTED = (
    "todo",
    "doing",
    "succeeded",
    "failed",
    "cancelled",
    "aborted",
)
# A job row that is gone (deleted after it finished, or never written).
MISSING = "missing"
ENDED = (SUCCEEDED, FAILED, CANCELLED, ABORTED, MISSING)

# The job, the last time a worker took it, and whether that worker still sends heartbeats.
_JOB_STATE = """
    SELECT job.status::text,
           (SELECT max(event.at) FROM procrastinate_events AS event
             WHERE event.job_id = job.id AND event.type = 'started'),
           worker.last_heartbeat > now() - make_interval(secs => %(stalled)s)
      FROM procrastinate_jobs AS job
      LEFT JOIN procrastinate_workers AS worker ON worker.id = job.worker_id
     WHERE job.id = %(job_id)s
"""


@dataclass(frozen=True)
class JobState:
    job_id: int
    status: str
    # When a worker last took the job (None while it was never taken).
    started_at: datetime.datetime | None = None
    # For a running job: whether its worker sent a heartbeat lately.
    worker_alive: bool = False

    @property
    def stalled(self) -> bool:
        """Marked running, but the worker that took it stopped: nobody will finish it until
        it is retried (by hand, or by jobs.tasks.jobs_reap_stalled)."""
        return self.status == DOING and not self.worker_alive

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def job_state(*, job_id: int) -> JobState:
    """The job's status, when it was taken and whether its worker lives. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_JOB_STATE, {"job_id": job_id, "stalled": STALLED_AFTER_SECONDS})
        row = cursor.fetchone()
    if row is None:
        return JobState(job_id=job_id, status=MISSING)
    status, started_at, alive = row
    return JobState(job_id=job_id, status=status, started_at=started_at, worker_alive=bool(alive))


def workers_alive() -> int:
    """How many workers sent a heartbeat lately. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_workers "
            "WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [STALLED_AFTER_SECONDS],
        )
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class QueueFigures:
    """What an operator watches (README, "Background jobs")."""

    workers_alive: int
    queued: int
    running: int
    stalled: int
    failed_last_day: int
    # Age of the oldest job waiting to start (None when none waits).
    oldest_queued_seconds: float | None


def queue_figures() -> QueueFigures:
    """The queue at a glance. One query; the counts read the status indexes of
    procrastinate_jobs, the failed ones the events of the last day."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH alive AS (
                SELECT id FROM procrastinate_workers
                 WHERE last_heartbeat > now() - make_interval(secs => %(stalled)s)
            )
            SELECT (SELECT count(*) FROM alive),
                   (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'),
                   (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'),
                   (SELECT count(*) FROM procrastinate_jobs
                     WHERE status = 'doing'
                       AND (worker_id IS NULL OR worker_id NOT IN (SELECT id FROM alive))),
                   (SELECT count(DISTINCT job_id) FROM procrastinate_events
                     WHERE type = 'failed' AND at > now() - interval '1 day'),
                   (SELECT extract(epoch FROM now() - min(waiting.since))
                      FROM (SELECT greatest(max(event.at), job.scheduled_at) AS since
                              FROM procrastinate_jobs AS job
                              JOIN procrastinate_events AS event ON event.job_id = job.id
                               AND event.type IN ('deferred', 'deferred_for_retry')
                             WHERE job.status = 'todo'
                               AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())
                             GROUP BY job.id) AS waiting)
            """,
            {"stalled": STALLED_AFTER_SECONDS},
        )
        alive, queued, running, stalled, failed, oldest = cursor.fetchone()
    return QueueFigures(
        workers_alive=alive,
        queued=queued,
        running=running,
        stalled=stalled,
        failed_last_day=failed,
        oldest_queued_seconds=float(oldest) if oldest is not None else None,
    )
