"""Issuing throughput with two clerks at once: the number is taken and committed, and the PDF
is rendered by a job afterwards (goal: at least 50 issues a second).

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_issue.py [--invoices 60]

In one run, on drafts made alike:

* **baseline: PDF inside the issue**: two clerks (processes, as two gunicorn workers), each
  issuing its drafts and rendering and storing the PDF in the same transaction, so while the
  number counter is locked (what issuing did before the job engine: about 4 a second for the
  whole hospital).
* **issue, PDF queued**: two clerks (processes), each calling `invoice_issue` (number, freeze,
  queue the PDF job) on its own database connection.
* **worker: stored PDFs**: one procrastinate worker running the queued PDF jobs.

Figures are issues (or PDFs) per second and the ratio to the baseline. The drafts, invoices
and jobs it makes are committed (two connections must see them): point it at a database of
its own, never a live hospital (bench/run.sh gives it the bench database).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from billing import services  # noqa: E402
from billing.models import Invoice  # noqa: E402
from doctors.models import Doctor, Specialty  # noqa: E402
from jobs import app  # noqa: E402
from patients.models import Patient  # noqa: E402


def _drafts(count: int) -> list[int]:
    """`count` draft invoices, one per new patient, each billing one consultation."""
    from django.utils import timezone

    from appointments.models import Appointment, AppointmentStatus, Attendance

    tag = uuid.uuid4().hex[:8]
    specialty = Specialty.objects.create(name=f"Issue bench {tag}")
    doctor = Doctor.objects.create(
        code=f"I{tag}",
        first_name="Ada",
        last_name="Bench",
        specialty=specialty,
        consultation_fee=Decimal("80.00"),
    )
    start = timezone.now() - timezone.timedelta(days=400)
    ids = []
    for n in range(count):
        patient = Patient.objects.create(
            mrn=f"ISSUE-{tag}-{n}", first_name="Patient", last_name=f"Number {n}"
        )
        at = start + timezone.timedelta(minutes=30 * n)
        appointment = Appointment.objects.create(
            patient=patient,
            doctor=doctor,
            start=at,
            end=at + timezone.timedelta(minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
        Attendance.objects.create(appointment=appointment, patient=patient, checked_in_at=at)
        ids.append(services.invoice_draft_for_patient(patient=patient, by=None).pk)
    return ids


def _clerk(mine: list[int], issue_name: str, start, done) -> None:
    """One clerk's process: waits for the start, issues its drafts, reports its end time."""
    from django.db import connections

    connections.close_all()  # a connection of its own, never the parent's
    issue = globals()[issue_name]
    start.wait()
    for pk in mine:
        issue(Invoice.objects.get(pk=pk))
    connections.close_all()
    done.put(time.perf_counter())


def _two_clerks(ids: list[int], issue) -> float:
    """Seconds for two clerks, each a process of its own as two gunicorn workers are, to
    issue half of `ids` each."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, done = context.Event(), context.Queue()
    clerks = [
        context.Process(target=_clerk, args=(half, issue.__name__, start, done))
        for half in (ids[0::2], ids[1::2])
    ]
    for clerk in clerks:
        clerk.start()
    time.sleep(0.5)  # both connected and waiting
    began = time.perf_counter()
    start.set()
    ends = [done.get(timeout=600) for _ in clerks]
    for clerk in clerks:
        clerk.join()
        if clerk.exitcode:
            raise SystemExit(f"a clerk's process failed (exit {clerk.exitcode})")
    return max(ends) - began


def _issue_with_pdf_in_the_lock(invoice: Invoice) -> None:
    with transaction.atomic():
        issued = services.invoice_issue(invoice=invoice, by=None)
        services.invoice_pdf_store(invoice_id=issued.pk)


def _issue(invoice: Invoice) -> None:
    services.invoice_issue(invoice=invoice, by=None)


def _run_worker() -> float:
    began = time.perf_counter()
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            queues=["default"],
        )
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=60)
    args = parser.parse_args(argv)
    count = args.invoices
    baseline_ids, queued_ids = _drafts(count), _drafts(count)
    baseline = _two_clerks(baseline_ids, _issue_with_pdf_in_the_lock)
    queued = _two_clerks(queued_ids, _issue)
    worker = _run_worker()
    stored = Invoice.objects.filter(pk__in=queued_ids, pdf__isnull=False).count()
    base_rate = count / baseline
    rows = [
        ("baseline: PDF inside the issue, 2 clerks", baseline, count),
        ("issue, PDF queued, 2 clerks", queued, count),
        ("worker: stored PDFs (1 worker)", worker, stored),
    ]
    print(f"{count} invoices per method")
    print(f"{'method':<44} {'seconds':>8} {'per second':>11} {'vs baseline':>12}")
    for name, seconds, done in rows:
        rate = done / seconds if seconds else float("inf")
        print(f"{name:<44} {seconds:>8.2f} {rate:>11.1f} {rate / base_rate:>11.1f}x")
    goal = count / queued
    print(f"Goal >= 50 issues/s with two clerks: {goal:.0f}/s {'met' if goal >= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
