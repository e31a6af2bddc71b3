"""Invoice PDF throughput: render, download of the stored PDF, and WeasyPrint alone.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_pdf.py [--invoices 20]
        [--lines 12] [--rounds 3]

In one run, on the same invoices:

* **WeasyPrint direct**: `weasyprint.HTML(string=html).write_pdf()` on the very HTML the
  invoice template produces (rendered beforehand, not timed): the floor for any PDF made here.
* **invoice_render_pdf**: the contract service (template, queries, WeasyPrint with the bundled
  fonts), as issuing runs it once per invoice.
* **download stored PDF**: `GET billing:invoice_pdf` through Django's test client as a billing
  clerk (session, permission check, one query, audit row, the stored bytes): what printing or
  downloading an issued invoice costs. The bench checks that it never renders.

Everything it creates (price list, patients, issued invoices, audit rows) lives inside one
transaction that is rolled back at the end, so it can run against any migrated database; while
it runs it holds this year's invoice-number counter, so do not point it at a live hospital.
Unset DATABASE_URL uses the embedded PostgreSQL, like manage.py. Rates are the best of
`--rounds` rounds (the methods take turns in each round, so machine load hits them alike).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings as django_settings  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments.models import Appointment, AppointmentStatus, Attendance  # noqa: E402
from billing import pdf, services  # noqa: E402
from billing.models import BillingSettings, Invoice, MedicationCost, ProcedureFee  # noqa: E402
from core import roles  # noqa: E402
from doctors.models import Doctor, Specialty  # noqa: E402
from patients.models import HistoryKind, MedicalHistory, Patient  # noqa: E402


class Rollback(Exception):
    """Leaves the bench's transaction, undoing everything it wrote."""


def _check_migrated() -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:5])
        sys.exit(f"The database has unapplied migrations ({names}...): run manage.py migrate.")


def _make_invoices(count: int, lines: int) -> list[Invoice]:
    """`count` issued invoices of `lines` lines each: medications, a surgery, a visit."""
    tag = uuid.uuid4().hex[:8]
    settings_row = BillingSettings.load()
    settings_row.hospital_name = "St. Aurelia General Hospital"
    settings_row.hospital_address = "1 Aurelia Plaza\nBoston, MA 02114\nUnited States"
    settings_row.tax_rate = Decimal("0.0750")
    settings_row.save()
    medicines = [
        MedicationCost.objects.create(name=f"Bench medicine {tag} {n}", unit_cost=Decimal(n) + 3)
        for n in range(max(lines - 2, 1))
    ]
    ProcedureFee.objects.create(name=f"Bench surgery {tag}", fee=Decimal("400.00"))
    specialty = Specialty.objects.create(name=f"Bench {tag}")
    doctor = Doctor.objects.create(
        code=f"B{tag}",
        first_name="Ada",
        last_name="Bench",
        specialty=specialty,
        consultation_fee=Decimal("80.00"),
    )
    start = timezone.make_aware(datetime.datetime(2031, 1, 6, 9))
    invoices = []
    for n in range(count):
        patient = Patient.objects.create(
            mrn=f"BENCH-{tag}-{n}",
            first_name="Patient",
            last_name=f"Number {n}",
            address_line1=f"{n} Harbor Street",
            city="Boston",
            postal_code="02110",
        )
        day = datetime.date(2024, 6, 1)
        MedicalHistory.objects.bulk_create(
            [
                MedicalHistory(
                    patient=patient,
                    kind=HistoryKind.MEDICATION,
                    description=m.name,
                    medication=m,
                    quantity=2,
                    recorded_on=day + datetime.timedelta(days=i),
                )
                for i, m in enumerate(medicines[: max(lines - 2, 1)])
            ]
            + [
                MedicalHistory(
                    patient=patient,
                    kind=HistoryKind.SURGERY,
                    description=f"bench surgery {tag}",
                    recorded_on=day,
                )
            ]
        )
        at = start + datetime.timedelta(minutes=30 * n)
        appointment = Appointment.objects.create(
            patient=patient,
            doctor=doctor,
            start=at,
            end=at + datetime.timedelta(minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
        Attendance.objects.create(appointment=appointment, patient=patient, checked_in_at=at)
        draft = services.invoice_draft_for_patient(patient=patient, by=None)
        issued = services.invoice_issue(invoice=draft, by=None)
        services.invoice_pdf_store(invoice_id=issued.pk)  # what the job does after the issue
        invoices.append(issued)
    return invoices


def _billing_clerks() -> Group:
    """The role group (made by a data migration; rebuilt here, inside the rolled-back
    transaction, on a database whose tables a test run has emptied)."""
    group, created = Group.objects.get_or_create(name=roles.BILLING_CLERK)
    if created:
        for code in roles.ROLE_PERMISSIONS[roles.BILLING_CLERK]:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def _rate(seconds: float, count: int) -> float:
    return count / seconds if seconds else float("inf")


def _time(run, items) -> float:
    began = time.perf_counter()
    for item in items:
        run(item)
    return time.perf_counter() - began


def bench(*, invoices: int, lines: int, rounds: int) -> list[tuple[str, float, int]]:
    from weasyprint import HTML

    made = _make_invoices(invoices, lines)
    fresh = [Invoice.objects.get(pk=i.pk) for i in made]
    html = [pdf.invoice_html(i, as_issued=True) for i in fresh]
    base_url = pdf.FONT_DIR.as_uri() + "/"

    clerk = User.objects.create_user(username=f"bench-{uuid.uuid4().hex[:8]}")
    clerk.groups.add(_billing_clerks())
    client = Client()
    client.force_login(clerk)
    urls = [reverse("billing:invoice_pdf", args=[i.pk]) for i in fresh]
    stored = {i.pk: bytes(i.pdf) for i in fresh}
    secure = bool(getattr(django_settings, "SECURE_SSL_REDIRECT", False))

    def download(index: int) -> None:
        response = client.get(urls[index], secure=secure)
        assert response.status_code == 200, response.status_code
        assert response.content == stored[fresh[index].pk]

    def never_render(_html: str) -> bytes:
        raise AssertionError("downloading a stored PDF must not render it")

    methods = {
        "WeasyPrint direct (same HTML)": lambda i: HTML(
            string=html[i], base_url=base_url
        ).write_pdf(),
        "invoice_render_pdf": lambda i: services.invoice_render_pdf(invoice=fresh[i]),
        "download stored PDF (test client)": download,
    }
    best = {name: float("inf") for name in methods}
    indexes = range(len(fresh))
    hosts = [*django_settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts):
        download(0)  # warm up the session and the URL resolver
        for _ in range(rounds):
            for name, run in methods.items():
                if name.startswith("download"):
                    real, pdf.html_to_pdf = pdf.html_to_pdf, never_render
                    try:
                        best[name] = min(best[name], _time(run, indexes))
                    finally:
                        pdf.html_to_pdf = real
                else:
                    best[name] = min(best[name], _time(run, indexes))
    sizes = [len(b) for b in stored.values()]
    print(
        f"{invoices} invoices of {lines} lines, {statistics.mean(sizes) / 1024:.0f} KiB PDF"
        f" each; best of {rounds} round(s)"
    )
    return [(name, seconds, invoices) for name, seconds in best.items()]


def print_table(results: list[tuple[str, float, int]]) -> None:
    direct = _rate(results[0][1], results[0][2])
    print(f"{'method':<36} {'seconds':>8} {'invoices/s':>11} {'vs direct':>10}")
    for name, seconds, count in results:
        rate = _rate(seconds, count)
        print(f"{name:<36} {seconds:>8.2f} {rate:>11.1f} {rate / direct:>9.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=20)
    parser.add_argument("--lines", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    _check_migrated()
    results: list[tuple[str, float, int]] = []
    try:
        with transaction.atomic():
            results = bench(invoices=args.invoices, lines=args.lines, rounds=args.rounds)
            raise Rollback
    except Rollback:
        pass
    print_table(results)


if __name__ == "__main__":
    main()
