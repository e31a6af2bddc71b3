"""Read-side queries for the home pages. Each runs a fixed number of queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from appointments.models import Appointment, AppointmentStatus
from billing.models import Invoice, InvoiceStatus, Payment
from core.dates import local_day_bounds
from doctors.models import Doctor
from patients.models import Patient


def appointments_by_status(*, day: datetime.date) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status on one day, zeros included. One query."""
    start, end = local_day_bounds(day)
    counts = dict(
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(s.value, s.label, counts.get(s.value, 0)) for s in AppointmentStatus]


@dataclass(frozen=True)
class InvoiceFigures:
    draft_count: int
    draft_total: Decimal
    unpaid_count: int
    unpaid_balance: Decimal


def billing_figures() -> InvoiceFigures:
    """Draft invoices and issued-but-unpaid invoices with their balance. Two queries."""
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
    drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT).aggregate(
        n=Count("id"), total=Coalesce(Sum("total"), zero)
    )
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    unpaid = (
        Invoice.objects.filter(status=InvoiceStatus.ISSUED)
        .annotate(paid=Coalesce(Subquery(paid), zero))
        .aggregate(n=Count("id"), balance=Coalesce(Sum("total") - Sum("paid"), zero))
    )
    return InvoiceFigures(
        draft_count=drafts["n"],
        draft_total=drafts["total"],
        unpaid_count=unpaid["n"],
        unpaid_balance=unpaid["balance"],
    )


@dataclass(frozen=True)
class HospitalFigures:
    patients: int
    doctors: int
    appointments_this_week: int
    week_start: datetime.date


def hospital_figures(*, today: datetime.date) -> HospitalFigures:
    """Active patients and doctors, and appointments in this Monday-to-Sunday week.

    Counting a million patients is one index-only scan; three queries in all.
    """
    week_start = today - datetime.timedelta(days=today.weekday())
    start, _ = local_day_bounds(week_start)
    end = start + datetime.timedelta(days=7)
    return HospitalFigures(
        patients=Patient.objects.filter(is_active=True).count(),
        doctors=Doctor.objects.filter(is_active=True).count(),
        appointments_this_week=Appointment.objects.filter(start__gte=start, start__lt=end).count(),
        week_start=week_start,
    )
