"""`seed_demo` bills the past like the billing office: statements per cycle priced by the
billing rule, issued, paid (some in part), a few voided and issued again, the recent visits
left to bill; and it grows its doctors and days with its patients."""

import datetime
import math
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from appointments.models import Attendance
from billing import services
from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoiceStatus,
    LineKind,
    Payment,
)
from demo.plan import (
    APPOINTMENTS_PER_PATIENT,
    default_days,
    default_doctors,
    expected_appointments,
)
from patients.models import MedicalHistory

pytestmark = pytest.mark.django_db

BILLED = {"patients": 400, "doctors": 6, "days": 90, "seed": 5}


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**BILLED, **options})
    return out.getvalue()


@pytest.fixture
def billed(settings):
    settings.DEBUG = True
    return _seed()


def _keys(invoice: Invoice, *, active: bool | None = None) -> dict[str, Decimal]:
    lines = invoice.lines.all() if active is None else invoice.lines.filter(is_active=active)
    return dict(lines.values_list("source_key", "amount"))


def test_it_prices_every_line_by_the_billing_rule(billed):
    assert "invoices" in billed and Invoice.objects.count() > 100
    visits = {
        f"attendance:{a.pk}": a
        for a in Attendance.objects.select_related("appointment__doctor", "appointment")
    }
    given = {
        f"history:{h.pk}": h
        for h in MedicalHistory.objects.filter(attendance__isnull=False).select_related(
            "medication", "procedure"
        )
    }
    kinds = set()
    for line in InvoiceLine.objects.select_related("invoice"):
        kinds.add(line.kind)
        if line.kind == LineKind.CONSULTATION:
            visit = visits[line.source_key]
            assert line.amount == visit.appointment.doctor.consultation_fee
            assert line.description == f"Consultation with Dr {visit.appointment.doctor.full_name}"
            assert line.service_date == timezone.localdate(visit.appointment.start)
        elif line.kind == LineKind.MEDICATION:
            entry = given[line.source_key]
            assert line.quantity == entry.quantity
            assert line.amount == entry.medication.unit_cost * entry.quantity
            assert line.description == entry.medication.name
        else:
            assert line.kind == LineKind.SURGERY
            assert line.amount == given[line.source_key].procedure.fee
        assert (
            line.invoice.patient_id
            == (visits.get(line.source_key) or given[line.source_key]).patient_id
        )
    assert kinds == {LineKind.CONSULTATION, LineKind.MEDICATION, LineKind.SURGERY}
    assert MedicalHistory.objects.filter(attendance__isnull=False, quantity__gt=1).exists()
    # What patients told at registration was given elsewhere: never billed.
    assert not MedicalHistory.objects.filter(attendance__isnull=True, is_billable=True).exists()
    for invoice in Invoice.objects.all():
        lines = invoice.lines.all() if invoice.is_void else invoice.lines.filter(is_active=True)
        assert invoice.subtotal == lines.aggregate(s=Sum("amount"))["s"]
        assert invoice.total == invoice.subtotal + invoice.tax


def test_it_issues_pays_and_voids_as_the_clerks_do(billed):
    by_status = defaultdict(list)
    for invoice in Invoice.objects.with_paid().prefetch_related("payments"):
        by_status[invoice.status].append(invoice)
        assert invoice.created_at < invoice.issued_at < timezone.now()
        assert invoice.due_date == timezone.localdate(invoice.issued_at) + datetime.timedelta(30)
        assert invoice.snapshot["patient"]["mrn"] == invoice.patient.mrn
        for payment in invoice.payments.all():
            assert invoice.issued_at < payment.received_at < timezone.now()
    assert set(by_status) == {InvoiceStatus.ISSUED, InvoiceStatus.PAID, InvoiceStatus.VOID}
    assert all(i.paid == i.total for i in by_status[InvoiceStatus.PAID])
    issued = by_status[InvoiceStatus.ISSUED]
    assert all(i.paid < i.total for i in issued)
    assert any(0 < i.paid for i in issued)  # partly paid
    assert any(i.due_date < timezone.localdate() for i in issued)  # overdue
    assert Payment.objects.values("invoice").distinct().count() < Payment.objects.count()
    for void in by_status[InvoiceStatus.VOID]:
        assert void.void_reason and void.voided_at > void.issued_at and void.paid == 0
        assert not void.lines.filter(is_active=True).exists()
        # issued again: the same items on an active line of a later invoice of the patient
        again = InvoiceLine.objects.filter(source_key__in=_keys(void), is_active=True)
        assert {line.source_key for line in again} == set(_keys(void))
        assert {line.invoice.patient_id for line in again} == {void.patient_id}


def test_it_numbers_invoices_without_gaps_and_keeps_the_counter(billed):
    numbers = defaultdict(list)
    for number in Invoice.objects.values_list("number", flat=True):
        numbers[int(number[4:8])].append(int(number[9:]))
    for year, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1))
        assert InvoiceNumberCounter.objects.get(year=year).last_number == len(taken)
    ordered = list(Invoice.objects.order_by("issued_at", "id").values_list("number", flat=True))
    assert ordered == sorted(ordered)  # numbered in the order they were issued


def test_it_leaves_the_recent_visits_to_bill(billed):
    today = timezone.localdate()
    billed_keys = set(
        InvoiceLine.objects.filter(is_active=True).values_list("source_key", flat=True)
    )
    unbilled = [
        timezone.localdate(a.appointment.start)
        for a in Attendance.objects.select_related("appointment")
        if f"attendance:{a.pk}" not in billed_keys
    ]
    assert unbilled  # the "Ready to bill" page has work
    # a month's cycle and 6-12 days to issue its statement: older visits are all billed
    assert min(unbilled) >= today - datetime.timedelta(days=30 + 13)


def test_a_clerk_voids_a_seeded_invoice_and_bills_its_items_again(billed, admin_user):
    invoice = (
        Invoice.objects.with_paid()
        .filter(status=InvoiceStatus.ISSUED, paid=0)
        .order_by("issued_at")
        .first()
    )
    items = _keys(invoice)
    services.invoice_void(invoice=invoice, reason="Wrong address", by=admin_user)
    draft = services.invoice_draft_for_patient(patient=invoice.patient, by=admin_user)
    assert items.items() <= _keys(draft).items()  # the same items at the same prices
    issued = services.invoice_issue(invoice=draft, by=admin_user)
    year = timezone.localdate().year
    last = InvoiceNumberCounter.objects.get(year=year).last_number
    assert issued.number == f"INV-{year}-{last:06d}"
    assert Invoice.objects.filter(number__startswith=f"INV-{year}-").count() == last


def test_a_second_hospital_continues_the_invoice_numbers(billed):
    before = Invoice.objects.count()
    _seed(force=True, seed=6)
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) > before and len(set(numbers)) == len(numbers)
    for counter in InvoiceNumberCounter.objects.all():
        taken = Invoice.objects.filter(number__startswith=f"INV-{counter.year}-").count()
        assert counter.last_number == taken


@pytest.mark.parametrize("patients", [2_000, 10_000, 100_000, 1_000_000])
def test_it_grows_doctors_and_days_with_the_patients(patients):
    days = default_days(patients)
    doctors = default_doctors(patients, days)
    per_patient = expected_appointments(doctors, days) / patients
    assert APPOINTMENTS_PER_PATIENT - 0.5 <= per_patient <= APPOINTMENTS_PER_PATIENT + 2
    assert 60 <= days <= 3 * 365
    if patients >= 100_000:
        assert days > 365 and 100 <= doctors <= 600
    assert default_days(2_000) == 60 and default_doctors(2_000, 60) == 20  # `make run`


def test_the_command_picks_the_sizes_it_is_not_given(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", patients=0, stdout=out)
    assert "0 patients, 20 doctors, 60 days back" in out.getvalue()
    days = default_days(1_000_000)
    assert days == 3 * 365 and math.ceil(default_doctors(1_000_000, days)) < 600
