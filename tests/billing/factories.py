"""Billing test helpers on top of tests/factories.py: history entries, visits, invoices."""

from __future__ import annotations

import datetime
from decimal import Decimal

from appointments.models import AppointmentStatus
from billing import services
from billing.models import BillingSettings, Invoice
from patients.models import HistoryKind
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    DoctorFactory,
    MedicalHistoryFactory,
    PatientFactory,
)

DAY = datetime.date(2024, 6, 28)


def medication(patient, description, *, medication=None, quantity=1, day=DAY, **kw):
    return MedicalHistoryFactory(
        patient=patient,
        kind=HistoryKind.MEDICATION,
        description=description,
        medication=medication,
        quantity=quantity,
        recorded_on=day,
        **kw,
    )


def surgery(patient, description, *, procedure=None, day=DAY, **kw):
    return MedicalHistoryFactory(
        patient=patient,
        kind=HistoryKind.SURGERY,
        description=description,
        procedure=procedure,
        recorded_on=day,
        **kw,
    )


def visit(patient, *, fee="0.00", status=AppointmentStatus.COMPLETED, doctor=None):
    """An attended appointment with a doctor charging `fee`."""
    doctor = doctor or DoctorFactory(consultation_fee=Decimal(fee))
    appointment = AppointmentFactory(patient=patient, doctor=doctor, status=status)
    return AttendanceFactory(appointment=appointment, patient=patient)


def settings(**values) -> BillingSettings:
    row = BillingSettings.load()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def drafted(patient=None, *, by=None) -> Invoice:
    patient = patient or PatientFactory()
    return services.invoice_draft_for_patient(patient=patient, by=by)


def issued(patient=None, *, by=None) -> Invoice:
    """An issued invoice with its PDF stored (the job `invoice_issue` queues, run here: a
    test's transaction never commits, so on-commit work never runs by itself)."""
    invoice = drafted(patient, by=by)
    invoice = services.invoice_issue(invoice=invoice, by=by)
    services.invoice_pdf_store(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def amounts(invoice: Invoice) -> list[tuple[str, str, Decimal]]:
    return [(line.kind, line.description, line.amount) for line in invoice.lines.order_by("id")]
