"""The queue's own upkeep, run by whichever worker takes it (procrastinate defers a periodic
job once per tick whatever the number of workers; the queueing lock keeps one waiting)."""

from __future__ import annotations

import logging

from django.conf import settings

from jobs import app
from jobs.services import jobs_reap_stalled, jobs_remove_old

logger = logging.getLogger(__name__)


@app.periodic(cron="* * * * *")
@app.task(name="jobs.reap_stalled", queue="default", queueing_lock="jobs.reap_stalled")
def jobs_reap_stalled_job(timestamp: int) -> list[int]:
    """Every minute: a job whose worker died (SIGKILL, out of memory, a lost machine) ends as
    failed (or is retried, when its task's retry strategy says so) instead of showing
    "running" for ever."""
    reaped = jobs_reap_stalled()
    if reaped:
        logger.warning("Stalled jobs ended (their worker stopped): %s", reaped)
    return reaped


@app.periodic(cron="45 3 * * *")
@app.task(name="jobs.remove_old", queue="default", queueing_lock="jobs.remove_old")
def jobs_remove_old_job(timestamp: int) -> int:
    """Every night (03:45 UTC): jobs that ended more than HMS_JOBS_KEEP_DAYS ago are deleted,
    so the queue's tables stay small."""
    return jobs_remove_old(days=settings.HMS_JOBS_KEEP_DAYS)
