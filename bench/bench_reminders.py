"""Reminder jobs through the job engine: 10,000 reminders sent by one worker, another 10,000
by two workers at once (jobs per second, and the ratio two/one), and the queue's latency from
enqueue to start with an idle worker. Goal: at least 500 reminders a minute on one worker, and
a clear gain with a second.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_reminders.py [--reminders 10000]

Each batch is a day of appointments in a far-future week no other data uses, one patient
each; the periodic job's own service (`reminders_queue`) writes their reminder rows and queues
one job each, then real worker processes (`manage.py procrastinate worker --one-shot`) send
them. Mail goes to files in a temporary folder (the file backend: each message composed, its
.ics made, the MIME written, as for a real server less the network). Rates count from the
first job's start to the last one's end, from the queue's own events (the workers' start-up
is left out; their wall time is shown beside). Everything it makes is committed: point it at a
database of its own, never a live hospital (bench/run.sh gives it the bench database).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments import tasks  # noqa: E402
from appointments.messaging import services as messaging  # noqa: E402
from appointments.models import Appointment, AppointmentStatus  # noqa: E402
from doctors.models import Doctor, Specialty  # noqa: E402
from patients.models import Patient  # noqa: E402

SLOT = datetime.timedelta(minutes=10)
PER_DOCTOR = 100  # 100 ten-minute visits: under 17 hours, inside a 24-hour window


def _day_of_appointments(count: int, day: datetime.datetime) -> None:
    """`count` scheduled appointments from `day`, each with its own patient (with an e-mail
    address), 100 to a doctor."""
    tag = uuid.uuid4().hex[:8]
    specialty = Specialty.objects.create(name=f"Reminder bench {tag}")
    doctors = Doctor.objects.bulk_create(
        Doctor(code=f"R{tag}{n}", first_name="Ada", last_name=f"Bench {n}", specialty=specialty)
        for n in range((count + PER_DOCTOR - 1) // PER_DOCTOR)
    )
    patients = Patient.objects.bulk_create(
        (
            Patient(
                mrn=f"R{tag}{n}",
                first_name="Patient",
                last_name=f"Number {n}",
                email=f"patient{n}.{tag}@bench.example",
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    Appointment.objects.bulk_create(
        (
            Appointment(
                patient=patient,
                doctor=doctors[n // PER_DOCTOR],
                start=day + SLOT * (n % PER_DOCTOR),
                end=day + SLOT * (n % PER_DOCTOR + 1),
                status=AppointmentStatus.SCHEDULED,
            )
            for n, patient in enumerate(patients)
        ),
        batch_size=2000,
    )


def _worker(mail_dir: str, *, wait: bool = False) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.reminder_settings",
        "BENCH_MAIL_DIR": mail_dir,
    }
    command = [sys.executable, "manage.py", "procrastinate", "worker", "-q", tasks.QUEUE]
    if not wait:
        command.append("--one-shot")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def _events(job_ids: list[int], kind: str) -> list[datetime.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT at FROM procrastinate_events WHERE type = %s AND job_id = ANY(%s)",
            [kind, job_ids],
        )
        return [at for (at,) in cursor.fetchall()]


def _job_ids(message_ids: list[int]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM procrastinate_jobs WHERE task_name = 'appointments.message_send' "
            "AND (args->>'message_id')::bigint = ANY(%s)",
            [message_ids],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _batch(count: int, day: datetime.datetime, workers: int, mail_dir: str) -> dict:
    """Queue `count` reminders for `day` and send them with `workers` processes."""
    _day_of_appointments(count, day)
    began = time.perf_counter()
    message_ids = messaging.reminders_queue(now=day - datetime.timedelta(hours=1))
    queued = time.perf_counter() - began
    assert len(message_ids) == count, f"queued {len(message_ids)} reminders, not {count}"
    began = time.perf_counter()
    processes = [_worker(mail_dir) for _ in range(workers)]
    for process in processes:
        process.wait()
    wall = time.perf_counter() - began
    job_ids = _job_ids(message_ids)
    started, ended = _events(job_ids, "started"), _events(job_ids, "succeeded")
    seconds = (max(ended) - min(started)).total_seconds()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM appointments_appointmentmessage "
            "WHERE id = ANY(%s) AND status = 'sent'",
            [message_ids],
        )
        (sent,) = cursor.fetchone()
    return {"queued": queued, "seconds": seconds, "wall": wall, "sent": sent}


def _latency(mail_dir: str, rounds: int) -> list[float]:
    """Seconds from enqueue to start of a job on an idle worker, `rounds` times."""
    process = _worker(mail_dir, wait=True)
    try:
        time.sleep(5)  # the worker is up and idle, listening for new jobs
        found = []
        for _ in range(rounds):
            job_id = tasks.message_send.defer(message_id=0)  # no such message: a no-op
            deadline = time.monotonic() + 30
            while not _events([job_id], "succeeded"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the idle worker did not take the job in 30 s")
                time.sleep(0.01)
            [deferred], [started] = _events([job_id], "deferred"), _events([job_id], "started")
            found.append((started - deferred).total_seconds())
            time.sleep(0.2)
        return found
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--latency-rounds", type=int, default=20)
    args = parser.parse_args(argv)
    count = args.reminders
    # Far-future days, a new one for every run, where no other appointment lies.
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    base += datetime.timedelta(days=3 * 365 + uuid.uuid4().int % 300 * 3)
    with tempfile.TemporaryDirectory(prefix="hms-bench-mail-") as mail_dir:
        one = _batch(count, base, 1, mail_dir)
        two = _batch(count, base + datetime.timedelta(days=1), 2, mail_dir)
        latency = _latency(mail_dir, args.latency_rounds)
    print(f"{count} reminders per run (HMS_REMINDER_HOURS={settings.HMS_REMINDER_HOURS})")
    heads = ("queue (s)", 10), ("send (s)", 9), ("jobs/s", 8), ("per min", 8), ("wall (s)", 9)
    print(f"{'run':<12} " + " ".join(f"{name:>{width}}" for name, width in heads))
    for name, run in (("1 worker", one), ("2 workers", two)):
        rate = run["sent"] / run["seconds"]
        print(
            f"{name:<12} {run['queued']:>10.2f} {run['seconds']:>9.2f} {rate:>8.1f} "
            f"{rate * 60:>8.0f} {run['wall']:>9.2f}"
        )
    ratio = (two["sent"] / two["seconds"]) / (one["sent"] / one["seconds"])
    print(f"two workers / one: {ratio:.2f}x")
    latency.sort()
    p95 = latency[max(0, round(0.95 * len(latency)) - 1)]
    print(
        f"queue latency at idle, enqueue to start ({len(latency)} jobs): median "
        f"{statistics.median(latency) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latency[-1] * 1000:.0f} ms"
    )
    per_minute = one["sent"] / one["seconds"] * 60
    print(
        f"Goal >= 500 reminders a minute on one worker: {per_minute:.0f}/min "
        f"{'met' if per_minute >= 500 else 'NOT met'}; with a second: {ratio:.2f}x"
    )
    if one["sent"] != count or two["sent"] != count:
        raise SystemExit(f"not every reminder was sent: {one['sent']}, {two['sent']} of {count}")


if __name__ == "__main__":
    main()
