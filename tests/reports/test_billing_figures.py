"""The billing reports' figures (patient bills, revenue) against values worked out
here, in Python, from a small data set."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from appointments.models import AppointmentStatus
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentMethod,
)
from billing.services import invoice_draft_for_patient
from patients.models import HistoryKind, Patient
from reports import selectors
from tests.factories import (
    AttendanceFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
)
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

S = AppointmentStatus


# --- patient-bills ------------------------------------------------------------------------


@pytest.fixture
def bills():
    """Four patients whose unbilled items exercise every branch of the billing rule."""
    config = BillingSettings.load()
    config.default_surgery_fee = Decimal("300.00")
    config.minimum_charge = Decimal("35.00")
    config.tax_rate = Decimal("0.0750")
    config.save()
    MedicationCostFactory(name="Metformin", unit_cost=Decimal("12.50"))
    lisinopril = MedicationCostFactory(name="Lisinopril", unit_cost=Decimal("9.75"))
    ProcedureFeeFactory(name="Appendectomy", fee=Decimal("800.00"))
    knee = ProcedureFeeFactory(name="Knee arthroscopy", fee=Decimal("650.00"))
    ann = DoctorFactory(consultation_fee=Decimal("40.00"))
    bob = DoctorFactory(consultation_fee=Decimal("25.50"))
    p1, p2, p3, p4 = (PatientFactory(mrn=f"P{i}") for i in range(1, 5))

    def entry(patient, kind, description, **kwargs):
        return MedicalHistoryFactory(patient=patient, kind=kind, description=description, **kwargs)

    entry(p1, HistoryKind.MEDICATION, "metformin ")  # priced by name, case and blanks aside
    entry(p1, HistoryKind.MEDICATION, "Metformin", quantity=3)  # 3 units
    entry(p1, HistoryKind.MEDICATION, "Unknown drug")  # not on the list: 0.00, flagged
    entry(p1, HistoryKind.MEDICATION, "Lisinopril tabs", medication=lisinopril)  # by the FK
    entry(p1, HistoryKind.MEDICATION, "Metformin", is_billable=False)
    entry(p1, HistoryKind.MEDICATION, " N/A ")  # imported "nothing": no item, not unpriced
    entry(p1, HistoryKind.SURGERY, "APPENDECTOMY")
    entry(p1, HistoryKind.SURGERY, "Knee replacement")  # no fee: the default surgery fee
    entry(p1, HistoryKind.SURGERY, "Arthroscopy, left knee", procedure=knee)  # by the FK
    entry(p1, HistoryKind.SURGERY, "None")
    entry(p1, HistoryKind.CONDITION, "Diabetes")
    billed = entry(p1, HistoryKind.MEDICATION, "Metformin")
    voided = entry(p1, HistoryKind.MEDICATION, "Metformin")
    InvoiceLineFactory(source_key=f"history:{billed.pk}", kind=LineKind.MEDICATION)
    InvoiceLineFactory(source_key=f"history:{voided.pk}", kind=LineKind.MEDICATION, is_active=False)
    mon = datetime.date(2024, 3, 4)
    AttendanceFactory(
        appointment__doctor=ann, appointment__patient=p1, appointment__start=at(mon, 9)
    )
    entry(p2, HistoryKind.CONDITION, "Asthma")
    visit = AttendanceFactory(
        appointment__doctor=bob, appointment__patient=p2, appointment__start=at(mon, 10)
    )
    InvoiceLineFactory(source_key=f"attendance:{visit.pk}", kind=LineKind.CONSULTATION)
    AttendanceFactory(
        appointment__doctor=bob, appointment__patient=p3, appointment__start=at(mon, 11)
    )
    # Checked in, then left before being seen: no consultation.
    AttendanceFactory(
        appointment__doctor=ann,
        appointment__patient=p3,
        appointment__start=at(mon, 12),
        appointment__status=S.CANCELLED,
    )
    return config, [p1, p2, p3, p4]


def test_it_prices_every_patients_next_invoice_by_the_billing_rule(bills):
    config, _ = bills

    rows = {r[0]: r for r in selectors.patient_bills_report().rows}

    patients = Patient.objects.all()
    assert set(rows) == {p.mrn for p in patients}  # every patient, with or without items
    for row in rows.values():
        assert all(v.as_tuple().exponent == -2 for v in (*row[2:6], *row[7:]))
    # Worked out by hand from the fixture.
    assert rows["P1"][2:9] == (
        Decimal("72.25"),  # 12.50 + 3 × 12.50 + 0.00 + 9.75 + 12.50 (the voided line's)
        Decimal("1750.00"),  # 800.00 + the default 300.00 + 650.00
        Decimal("40.00"),
        Decimal("1862.25"),
        1,
        Decimal("139.67"),  # 7.5 % of 1862.25 = 139.66875, rounded half-up
        Decimal("2001.92"),
    )
    # P2's visit is billed: nothing left, the minimum charge (tax 7.5 % of 35.00 = 2.625).
    minimum = (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("35.00"), 0)
    assert rows["P2"][2:9] == (*minimum, Decimal("2.63"), Decimal("37.63"))
    # P3: one consultation with Bob; the cancelled visit with Ann bills nothing (7.5 % = 1.9125).
    assert rows["P3"][2:9] == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("25.50"),
        Decimal("25.50"),
        0,
        Decimal("1.91"),
        Decimal("27.41"),
    )
    assert rows["P4"][2:9] == rows["P2"][2:9]  # nothing at all: the minimum charge

    totals = selectors.patient_bill_totals()
    assert totals.patients == len(rows) == 7  # the invoice lines' factories add three
    assert totals.total == sum(r[5] for r in rows.values())
    assert totals.minimum_charges == sum(1 for r in rows.values() if not sum(r[2:5]))
    assert totals.unpriced_medications == 1


def test_it_agrees_with_the_draft_invoices_billing_makes(bills, billing_clerk):
    _, patients = bills
    rows = {r[0]: r for r in selectors.patient_bills_report().rows}
    for patient in patients:
        invoice = invoice_draft_for_patient(patient=patient, by=billing_clerk)
        assert (invoice.subtotal, invoice.tax, invoice.total) == (
            rows[patient.mrn][5],
            rows[patient.mrn][7],
            rows[patient.mrn][8],
        ), patient.mrn


# --- revenue ------------------------------------------------------------------------------


def _issued(number, issued_at, subtotal, tax=Decimal("0.00"), status=InvoiceStatus.ISSUED, **kw):
    return InvoiceFactory(
        number=number,
        status=status,
        issued_at=issued_at,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        **kw,
    )


def _pay(invoice, amount, day):
    Payment.objects.create(
        invoice=invoice, amount=Decimal(amount), method=PaymentMethod.CASH, received_at=at(day, 12)
    )


@pytest.fixture
def ledger():
    jan = _issued("INV-2024-000001", at(datetime.date(2024, 1, 15), 10), Decimal("100.00"))
    InvoiceLineFactory(invoice=jan, kind=LineKind.MEDICATION, amount=Decimal("60.00"))
    InvoiceLineFactory(invoice=jan, kind=LineKind.SURGERY, amount=Decimal("40.00"))
    _pay(jan, "30.00", datetime.date(2024, 1, 20))
    _pay(jan, "50.00", datetime.date(2024, 2, 3))
    mar = _issued(
        "INV-2024-000002",
        at(datetime.date(2024, 3, 2), 10),
        Decimal("200.00"),
        tax=Decimal("20.00"),
        status=InvoiceStatus.PAID,
    )
    InvoiceLineFactory(invoice=mar, kind=LineKind.CONSULTATION, amount=Decimal("200.00"))
    _pay(mar, "220.00", datetime.date(2024, 3, 5))
    draft = InvoiceFactory(subtotal=Decimal("500.00"), total=Decimal("500.00"))
    InvoiceLineFactory(invoice=draft, kind=LineKind.OTHER, amount=Decimal("500.00"))
    void = _issued(
        "INV-2024-000003",
        at(datetime.date(2024, 1, 10), 10),
        Decimal("70.00"),
        status=InvoiceStatus.VOID,
        void_reason="Wrong patient",
    )
    InvoiceLineFactory(invoice=void, kind=LineKind.OTHER, amount=Decimal("70.00"), is_active=False)
    return [jan, mar, draft, void]


def _expected_revenue(month: str, date_from=None):
    def in_month(moment):
        local = timezone.localtime(moment)
        return local.strftime("%Y-%m") == month and (date_from is None or local.date() >= date_from)

    invoices = [
        i for i in Invoice.objects.filter(status__in=["issued", "paid"]) if in_month(i.issued_at)
    ]
    paid_now = {i.pk: sum(p.amount for p in i.payments.all()) for i in invoices}
    lines = [line for i in invoices for line in i.lines.filter(is_active=True)]
    return (
        month,
        sum((i.total for i in invoices), Decimal("0.00")),
        sum((p.amount for p in Payment.objects.all() if in_month(p.received_at)), Decimal("0.00")),
        sum((i.total - paid_now[i.pk] for i in invoices), Decimal("0.00")),
        *(sum((x.amount for x in lines if x.kind == k), Decimal("0.00")) for k in LineKind.values),
        sum((i.tax for i in invoices), Decimal("0.00")),
    )


def test_it_reports_invoiced_paid_outstanding_and_line_kinds_per_month(ledger):
    rows = list(selectors.revenue_report().rows)
    assert [r[0] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    for row in rows:
        assert row == _expected_revenue(row[0])
    assert rows[0][1:4] == (Decimal("100.00"), Decimal("30.00"), Decimal("20.00"))


def test_it_limits_revenue_to_a_period(ledger):
    rows = list(selectors.revenue_report(date_from=datetime.date(2024, 2, 1)).rows)
    assert [r[0] for r in rows] == ["2024-02", "2024-03"]
    assert rows[0][1:4] == (Decimal("0.00"), Decimal("50.00"), Decimal("0.00"))
    assert rows[1] == _expected_revenue("2024-03")
    assert list(selectors.revenue_report(date_to=datetime.date(2023, 12, 31)).rows) == []
