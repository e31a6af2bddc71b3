"""`manage.py jobs_status`: the queue's figures, and exit status 1 when it needs a look."""

import io

import pytest
from django.core.management import CommandError, call_command

from jobs import app
from tests.jobs.helpers import take_job

pytestmark = pytest.mark.django_db


def _status(*args: str) -> str:
    out = io.StringIO()
    call_command("jobs_status", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_figures_of_a_healthy_queue():
    app.configure_task("imports.upload_import").defer(upload_id=1)
    app.configure_task("imports.upload_import").defer(upload_id=2)
    take_job()  # one worker alive, running one job

    text = _status()

    assert "workers alive: 1\nqueued: 1\nrunning: 1\nstalled: 0\n" in text


def test_it_fails_when_no_worker_is_alive():
    with pytest.raises(CommandError, match="no worker is alive"):
        _status()


def test_it_fails_on_a_stalled_job_and_a_long_wait():
    for upload_id in (1, 2):
        app.configure_task("imports.upload_import").defer(upload_id=upload_id)
    take_job(heartbeat_age=60)

    with pytest.raises(CommandError) as failure:
        _status("--max-wait", "-1")

    assert "1 job(s) stalled" in str(failure.value)
    assert "the oldest queued job has waited" in str(failure.value)
