"""The queue's upkeep and figures: stalled jobs ended (or retried when their task says so),
an administrator's retry that never queues a running job again, old jobs removed."""

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from core.models import AuditEvent
from jobs import app
from jobs.models import JobError
from jobs.selectors import job_state, queue_figures, workers_alive
from jobs.services import JobNotRetryable, job_retry, jobs_reap_stalled, jobs_remove_old
from tests.jobs.helpers import finish_job, take_job

pytestmark = pytest.mark.django_db


def _queue(task: str = "imports.upload_import", **kwargs) -> int:
    return app.configure_task(task).defer(**(kwargs or {"upload_id": 1}))


def _job(job_id: int) -> ProcrastinateJob:
    return ProcrastinateJob.objects.get(pk=job_id)


def test_it_ends_a_stalled_job_as_failed_with_the_reason_kept():
    _queue()
    stalled = take_job(heartbeat_age=60)

    assert jobs_reap_stalled() == [stalled]

    job = _job(stalled)
    assert (job.status, job.attempts) == ("failed", 1)
    error = JobError.objects.get(job_id=stalled)
    assert error.error.startswith("WorkerStopped: the worker running it sent no heartbeat")
    assert (error.task_name, error.attempt) == ("imports.upload_import", 1)


def test_it_queues_a_stalled_job_again_when_its_task_retries_on_errors():
    _queue("billing.store_invoice_pdf", invoice_id=1)  # retry=5
    stalled = take_job(heartbeat_age=60)

    jobs_reap_stalled()

    job = _job(stalled)
    assert (job.status, job.attempts) == ("todo", 1)
    assert JobError.objects.filter(job_id=stalled).count() == 1


def test_it_leaves_jobs_of_live_workers_alone():
    _queue()
    running = take_job(heartbeat_age=5, started_age=600)  # a long job on a live worker

    assert jobs_reap_stalled() == []
    assert _job(running).status == "doing"


def test_it_retries_a_failed_job_and_records_who_did(admin_user):
    _queue()
    failed = take_job()
    finish_job(failed, "failed")

    job_retry(job_id=failed, by=admin_user)

    assert (_job(failed).status, _job(failed).scheduled_at) == ("todo", None)
    event = AuditEvent.objects.get(changes__has_key="job_retry")
    assert event.actor == admin_user
    assert event.changes["job_retry"] == {
        "job": failed,
        "task": "imports.upload_import",
        "was": "failed",
    }


def test_it_refuses_to_queue_again_a_job_a_live_worker_runs(admin_user):
    _queue()
    running = take_job()

    with pytest.raises(JobNotRetryable, match="running on a live worker"):
        job_retry(job_id=running, by=admin_user)

    assert _job(running).status == "doing"
    assert not AuditEvent.objects.filter(changes__has_key="job_retry").exists()


@pytest.mark.parametrize("finished", ["todo", "succeeded"])
def test_it_refuses_to_retry_a_job_queued_or_done(admin_user, finished):
    job_id = _queue()
    if finished == "succeeded":
        finish_job(take_job(), "succeeded")

    with pytest.raises(JobNotRetryable, match=f"is {finished}"):
        job_retry(job_id=job_id, by=admin_user)


def test_it_retries_a_job_whose_worker_died(admin_user):
    _queue()
    stalled = take_job(heartbeat_age=60)

    job_retry(job_id=stalled, by=admin_user)

    assert _job(stalled).status == "todo"
    assert job_state(job_id=stalled).status == "todo"


def test_it_removes_jobs_that_ended_long_ago_and_keeps_the_rest():
    old, recent, queued = _queue(), _queue(), _queue()
    for job_id in (take_job(), take_job()):
        finish_job(job_id, "succeeded")
    JobError.objects.create(job_id=old, task_name="x", attempt=1, error="E: old")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - interval '40 days' WHERE job_id = %s",
            [old],
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE jobs_joberror SET created_at = now() - interval '40 days' WHERE job_id = %s",
            [old],
        )

    assert jobs_remove_old(days=30) == 1

    assert set(ProcrastinateJob.objects.values_list("id", flat=True)) == {recent, queued}
    assert not JobError.objects.filter(job_id=old).exists()


def test_it_counts_what_an_operator_watches():
    _queue(), _queue(), _queue(), _queue()
    take_job()  # running, live
    take_job(heartbeat_age=60)  # stalled
    finish_job(take_job(), "failed")

    figures = queue_figures()

    assert (figures.queued, figures.running, figures.stalled, figures.failed_last_day) == (
        1,
        2,
        1,
        1,
    )
    assert figures.workers_alive == workers_alive() == 2
    assert figures.oldest_queued_seconds is not None and figures.oldest_queued_seconds >= 0
