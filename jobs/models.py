"""What procrastinate does not keep: why a job failed.

procrastinate's own tables (`procrastinate_jobs`, `procrastinate_events`, `procrastinate_workers`)
hold each job's status, attempts and history; the worker only logs a failing job's exception.
`JobError` keeps it, so that the administrators' job list shows the error beside the job.
"""

from django.db import models

from core.models import TimeStampedModel


class JobError(TimeStampedModel):
    """One failed attempt of a background job (written by the worker, never edited)."""

    # procrastinate_jobs.id; no foreign key: finished jobs are deleted after a while, their
    # errors may stay longer (jobs.tasks.jobs_remove_old).
    job_id = models.BigIntegerField()
    task_name = models.CharField(max_length=128)
    # 1 for the first run, 2 for the first retry, ...
    attempt = models.PositiveIntegerField()
    # "ExceptionType: message", as the job list shows it.
    error = models.TextField()
    traceback = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "job error"
        # The job list's "Retry" action (jobs.admin), administrators' only.
        permissions = [("retry_job", "Can retry a failed or stalled background job")]
        indexes = [
            # The job list's latest error of each job shown (jobs.admin).
            models.Index(fields=["job_id", "-id"], name="jobs_joberror_job_idx"),
        ]

    def __str__(self) -> str:
        return f"Job {self.job_id} ({self.task_name}), attempt {self.attempt}: {self.error}"
