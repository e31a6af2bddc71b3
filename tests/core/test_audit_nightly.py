"""The nightly audit check (core.tasks): a periodic job that runs `audit_verify`; an intact
chain logs its head, a broken one fails the job with the first broken row, is logged as
critical and mailed to HMS_ALERT_EMAILS."""

import logging

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from core.tasks import audit_verify_nightly
from jobs import app
from jobs.models import JobError
from tests.core.test_audit_chain import behind_the_apps_back, write
from tests.jobs.helpers import run_jobs_here


def test_it_runs_every_night():
    periodic = app.periodic_registry.periodic_tasks[("core.audit_verify_nightly", "")]
    assert periodic.cron == "30 2 * * *"


@pytest.mark.django_db
def test_it_logs_the_head_of_an_intact_chain(caplog):
    write(3)

    with caplog.at_level(logging.INFO, logger="core.audit_chain"):
        summary = audit_verify_nightly(timestamp=0)

    assert summary.startswith("Audit chain intact: 3 rows checked. Chain head: 3:")
    assert summary in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_broken_chain_fails_the_job_and_alerts(settings, caplog):
    settings.ADMINS = [("", "it-oncall@hospital.example")]
    events = write(3)
    behind_the_apps_back(
        "UPDATE core_auditevent SET actor_username = 'nobody' WHERE id = %s", [events[1].pk]
    )
    job_id = audit_verify_nightly.defer(timestamp=0)

    run_jobs_here()

    assert ProcrastinateJob.objects.get(pk=job_id).status == "failed"
    error = JobError.objects.get(job_id=job_id).error
    assert error.startswith(f"CommandError: Audit chain broken at id {events[1].pk}")
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    (alert,) = mail.outbox
    assert alert.to == ["it-oncall@hospital.example"]
    assert f"Audit chain broken at id {events[1].pk}" in alert.body
