"""The job engine on the real database, as the application's role: after `migrate` the role
that owns nothing can queue a job, and a worker can take it, run it and record its end."""

import pytest
from procrastinate.contrib.django import DjangoApp
from procrastinate.contrib.django.models import ProcrastinateJob

from jobs import app


@pytest.mark.django_db(transaction=True)
def test_it_queues_runs_and_finishes_a_job_as_the_application_role():
    ran = []
    throwaway = DjangoApp(connector=app.connector)

    @throwaway.task(name="tests.add")
    def add(*, a: int, b: int) -> None:
        ran.append(a + b)

    job_id = add.defer(a=1, b=2)

    with throwaway.replace_connector(app.connector.get_worker_connector()):
        throwaway.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)

    assert ran == [3]
    assert ProcrastinateJob.objects.get(pk=job_id).status == "succeeded"
