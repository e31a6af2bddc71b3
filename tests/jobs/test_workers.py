"""Real worker processes on the real database: two workers never run the same job, and a
worker stops cleanly on SIGTERM (its row gone, nothing left running)."""

from collections import Counter

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker

from jobs import app
from tests.jobs.helpers import wait_until, worker_process

JOBS = 300
PROBE = {"DJANGO_SETTINGS_MODULE": "tests.jobs.probe_settings"}


def _started_events() -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT job_id, count(*) FROM procrastinate_events WHERE type = 'started' "
            "GROUP BY job_id"
        )
        return Counter(dict(cursor.fetchall()))


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job(tmp_path):
    probe_log = tmp_path / "probe.log"
    probe_log.touch()
    env = {**PROBE, "HMS_TEST_PROBE_LOG": str(probe_log)}
    with (
        worker_process(tmp_path / "one.log", "--queues", "probe", **env) as one,
        worker_process(tmp_path / "two.log", "--queues", "probe", **env) as two,
    ):
        wait_until(lambda: ProcrastinateWorker.objects.count() == 2, timeout=60, what="two workers")
        deferrer = app.configure_task("tests.probe", queue="probe")
        ids = deferrer.batch_defer(*({"n": n} for n in range(JOBS)))

        wait_until(
            lambda: ProcrastinateJob.objects.filter(pk__in=ids, status="succeeded").count() == JOBS,
            timeout=120,
            what=f"{JOBS} jobs done\n{one.output()[-2000:]}\n{two.output()[-2000:]}",
        )
        pids = {one.pid, two.pid}

    runs = [line.split() for line in probe_log.read_text().splitlines()]
    ran = Counter(int(job_id) for job_id, _ in runs)
    assert set(ran) == set(ids)
    assert max(ran.values()) == 1, [job for job, times in ran.items() if times > 1]
    by_pid = Counter(int(pid) for _, pid in runs)
    assert set(by_pid) == pids and min(by_pid.values()) > 0, by_pid  # both did work
    started = _started_events()
    assert all(started[job_id] == 1 for job_id in ids)


def _listening() -> bool:
    """A worker listens for new jobs (LISTEN), which its loop does only once it has put its
    signal handlers in place: procrastinate registers the worker's row before that, so a
    SIGTERM right after the row appears may still find Python's default (die at once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
            "WHERE datname = current_database() AND query ILIKE 'LISTEN %%')"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_worker_stops_cleanly_on_sigterm(tmp_path):
    with worker_process(tmp_path / "worker.log", "--queues", "probe", **PROBE) as worker:
        wait_until(lambda: ProcrastinateWorker.objects.exists(), timeout=60, what="a worker")
        wait_until(_listening, timeout=60, what=f"a listening worker\n{worker.output()[-2000:]}")
        returncode = worker.stop()

    assert returncode == 0, worker.output()[-3000:]
    assert not ProcrastinateWorker.objects.exists()
