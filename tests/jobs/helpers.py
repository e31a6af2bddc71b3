"""Running background jobs in tests, on the real database.

- `run_jobs_here()`: procrastinate's own worker, in this process, on this thread's database
  connection, until no job is left. A test without `transaction=True` runs inside one
  transaction that is never committed; a worker anywhere else could not see its rows, this
  one does (and what the jobs write stays inside the test's transaction too).
- `worker_process()`: a real worker, `python manage.py procrastinate worker`, in a process of
  its own against the test database, as a hospital runs it; for transactional tests.
- `queue_emptied()`: a transactional test's flush leaves procrastinate's tables alone (its
  models are unmanaged), so the queue is emptied around such tests (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import procrastinate.utils
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import connection
from procrastinate import periodic, sql
from procrastinate.contrib.django import procrastinate_app
from procrastinate.contrib.django.django_connector import DjangoConnector

from jobs import app
from tests.hms.production import database_url

BASE_DIR = Path(__file__).resolve().parents[2]


class _HereConnector(DjangoConnector):
    """procrastinate's Django connector (this thread's connection), decoding the jobs' JSON
    arguments, which Django's connection hands over as text (Django decodes JSON in its
    fields, not in the driver)."""

    def _dictfetch(self, cursor):
        for row in super()._dictfetch(cursor):
            if isinstance(row.get("args"), str):
                row["args"] = json.loads(row["args"])
            yield row


@contextmanager
def _tasks_on_this_thread() -> Iterator[None]:
    """procrastinate runs a sync task in a thread of a pool (another database connection);
    run it on the calling thread instead, the one `async_to_sync` came from."""
    original = procrastinate.utils.sync_to_async

    async def here(func, *args, **kwargs):
        return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)

    procrastinate.utils.sync_to_async = here
    try:
        yield
    finally:
        procrastinate.utils.sync_to_async = original


@contextmanager
def _no_periodic_jobs() -> Iterator[None]:
    """A test runs the jobs it queued, not a periodic one that comes due meanwhile."""
    real = procrastinate_app.current_app
    registry = real.periodic_registry
    real.periodic_registry = periodic.PeriodicRegistry()
    try:
        yield
    finally:
        real.periodic_registry = registry


def run_jobs_here(*, queues: list[str] | None = None) -> None:
    """Run every queued job (of `queues`, or all) with procrastinate's worker, here and now.

    The worker's statements and the tasks themselves run on this thread's connection, one
    job at a time; the task middleware that closes connections after a job is left out (it
    would close the test's). The worker middleware that records errors stays."""
    with (
        _tasks_on_this_thread(),
        _no_periodic_jobs(),
        app.replace_connector(_HereConnector()),
    ):
        async_to_sync(app.run_worker_async)(
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            task_middleware=[],
            queues=queues,
        )


def take_job(*, heartbeat_age: int = 0, started_age: int = 0) -> int:
    """A worker registers and takes the next queued job, with procrastinate's own statements;
    its last heartbeat and the job's start are then `heartbeat_age` and `started_age` seconds
    old (a worker killed a minute ago: heartbeat_age=60). Returns the job's id."""
    with connection.cursor() as cursor:
        cursor.execute(sql.queries["register_worker"])
        worker_id = cursor.fetchone()[0]
        cursor.execute(sql.queries["fetch_job"], {"queues": None, "worker_id": worker_id})
        job_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - make_interval(secs => %s)"
            " WHERE id = %s",
            [heartbeat_age, worker_id],
        )
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s)"
            " WHERE job_id = %s AND type = 'started'",
            [started_age, job_id],
        )
    return job_id


def finish_job(job_id: int, status: str) -> None:
    """End a taken job as its worker would (`succeeded` or `failed`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.queries["finish_job"], {"job_id": job_id, "status": status, "delete_job": False}
        )


def queue_emptied() -> None:
    """Delete every job (their events follow) and every worker's row."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
        cursor.execute("DELETE FROM procrastinate_workers")


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process on the test database, as the application's role,
    with the test's MEDIA_ROOT."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
    env.update(
        DATABASE_URL=database_url(connection),
        HMS_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        HMS_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Worker:
    """A worker process started by `worker_process`."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as the kernel's out-of-memory killer does."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it: running jobs end first."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self.process.returncode


@contextmanager
def worker_process(log: Path, *args: str, **env: str) -> Iterator[Worker]:
    """A real worker (`manage.py procrastinate worker ARGS`) for the block's length."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", *args],
            cwd=BASE_DIR,
            env=worker_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    worker = Worker(process, log)
    try:
        yield worker
    finally:
        worker.stop()


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `condition` (a database read, between which nothing else can signal) until it is
    true; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Not within {timeout:.0f} s: {what}")
        time.sleep(0.1)
