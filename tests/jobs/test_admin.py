"""The administrators' job list in the Django admin: each job's status (queued, running,
stalled, failed with its error, succeeded), its history, and a retry that queues failed and
stalled jobs again but never one a live worker runs."""

import pytest
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from core import roles
from jobs import app
from jobs.models import JobError
from tests.factories import UserFactory
from tests.jobs.helpers import finish_job, take_job

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:procrastinate_procrastinatejob_changelist")


@pytest.fixture
def jobs() -> dict[str, int]:
    """One job in each state (queued last, so that the others are taken first)."""
    for n in range(5):
        app.configure_task("imports.upload_import").defer(upload_id=100 + n)
    running = take_job()
    stalled = take_job(heartbeat_age=60)
    failed = take_job()
    JobError.objects.create(
        job_id=failed, task_name="imports.upload_import", attempt=1, error="OSError: disk full"
    )
    finish_job(failed, "failed")
    done = take_job()
    finish_job(done, "succeeded")
    queued = ProcrastinateJob.objects.get(status="todo").pk
    return {
        "running": running,
        "stalled": stalled,
        "failed": failed,
        "done": done,
        "queued": queued,
    }


@pytest.fixture
def clinic_admin(client):
    """An administrator by role (staff, not a superuser), signed in with a second factor."""
    user = UserFactory(username="clinic-admin", role=roles.ADMINISTRATOR, is_staff=True)
    client.force_login(user)
    return user


def _row(page: str, job_id: int) -> str:
    """The list's row of the job (from its link to the end of the row)."""
    start = page.index(f'/procrastinatejob/{job_id}/change/"')
    return page[start : page.index("</tr>", start)]


def test_it_lists_every_job_with_its_state_and_last_error(
    admin_client, jobs, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = admin_client.get(CHANGELIST).content.decode()

    assert "Queued" in _row(page, jobs["queued"])
    assert "Running" in _row(page, jobs["running"])
    assert "Stalled: its worker stopped" in _row(page, jobs["stalled"])
    failed = _row(page, jobs["failed"])
    assert "Failed" in failed and "OSError: disk full" in failed
    assert "Succeeded" in _row(page, jobs["done"])
    assert "upload_id=100" in page


def test_it_shows_a_jobs_history_and_errors(admin_client, jobs):
    url = reverse("admin:procrastinate_procrastinatejob_change", args=[jobs["failed"]])

    page = admin_client.get(url).content.decode()

    assert "OSError: disk full" in page
    assert "History (latest first)" in page
    for event in ("deferred", "started", "failed"):
        assert event in page


def test_it_retries_failed_and_stalled_jobs_but_not_a_running_one(admin_client, jobs):
    chosen = [jobs["failed"], jobs["stalled"], jobs["running"]]

    response = admin_client.post(
        CHANGELIST,
        {"action": "retry_jobs", "_selected_action": chosen},
        follow=True,
    )

    page = response.content.decode()
    assert f"Queued again: job {min(jobs['failed'], jobs['stalled'])}" in page
    assert f"Job {jobs['running']} is running on a live worker" in page
    statuses = dict(ProcrastinateJob.objects.values_list("id", "status"))
    assert statuses[jobs["failed"]] == statuses[jobs["stalled"]] == "todo"
    assert statuses[jobs["running"]] == "doing"


def test_it_lets_an_administrator_by_role_see_and_retry_jobs(client, clinic_admin, jobs, settings):
    settings.HMS_2FA_REQUIRED_ROLES = []  # the second factor is tested elsewhere
    assert client.get(CHANGELIST).status_code == 200

    client.post(CHANGELIST, {"action": "retry_jobs", "_selected_action": [jobs["failed"]]})

    assert ProcrastinateJob.objects.get(pk=jobs["failed"]).status == "todo"


@pytest.mark.parametrize("role", ["front_desk", "doctor", "billing_clerk"])
def test_it_shows_jobs_to_no_other_role(client, request, role, jobs):
    user = request.getfixturevalue(role)
    type(user).objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(user)

    assert client.get(CHANGELIST).status_code in (302, 403)
    client.post(CHANGELIST, {"action": "retry_jobs", "_selected_action": [jobs["failed"]]})
    assert ProcrastinateJob.objects.get(pk=jobs["failed"]).status == "failed"


def test_it_writes_nothing_through_the_admin(admin_client, jobs):
    job = jobs["queued"]
    assert admin_client.get(reverse("admin:procrastinate_procrastinatejob_add")).status_code == 403
    delete = reverse("admin:procrastinate_procrastinatejob_delete", args=[job])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ProcrastinateJob.objects.filter(pk=job).exists()
