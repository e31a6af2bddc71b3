"""The billing rule of DESIGN.md (the seed's `calculatepatientbill`), in one place.

A patient's unbilled items are priced in SQL by two querysets, so that the draft invoice
(`billing.services.invoice_draft_for_patient`) and the "Ready to bill" preview
(`billing.selectors.ready_to_bill`) use the very same prices:

* each billable medication entry: quantity x the unit cost of its price-list medication, found
  by the entry's foreign key or else by its name (trimmed, case-blind); a medication missing
  from the list costs 0.00 and is flagged `unpriced`;
* each billable surgery entry: its procedure fee (foreign key, else the name, trimmed and
  case-blind) or the default surgery fee;
* each attended appointment (an `Attendance` whose appointment was not cancelled): the doctor's
  consultation fee;
* when all of that adds up to 0.00, one minimum-charge line.

`None`, `N/A`, `-` and blanks in a description mean "nothing" (imported data): such an entry is
no medication and no surgery (the one vocabulary of "nothing", `core.nothing`). Which entries
are charged for at all is `MedicalHistory.objects.billable()`; its row form,
`MedicalHistory.bills`, is the chart's billable mark. An item is unbilled while no active
invoice line carries its `source_key` (`history:<id>`, `attendance:<id>`). Money is `Decimal`,
rounded half-up to cents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Lower, Trim, TruncDate

from appointments.models import AppointmentStatus, Attendance
from billing.models import (
    MONEY,
    BillingSettings,
    Invoice,
    InvoiceLine,
    LineKind,
    MedicationCost,
    ProcedureFee,
)
from patients.models import HistoryKind, MedicalHistory

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
HISTORY_KEY = "history:"
ATTENDANCE_KEY = "attendance:"
# An attendance bills a consultation once the patient was seen: checked in or completed
# (checked in, then cancelled, means the patient left before being seen).
ATTENDED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)

_MONEY = DecimalField(**MONEY)


def cents(value: Decimal) -> Decimal:
    """`value` rounded half-up to cents (2.675 -> 2.68)."""
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def totals_for(*, subtotal: Decimal, tax_rate: Decimal) -> Totals:
    """Tax on the subtotal at `tax_rate`, each rounded half-up to cents."""
    subtotal = cents(subtotal)
    tax = cents(subtotal * tax_rate)
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)


def needs_minimum_charge(item_sum: Decimal) -> bool:
    return cents(item_sum) == ZERO


def preview_totals(*, item_sum: Decimal, settings: BillingSettings) -> Totals:
    """What a draft of items adding up to `item_sum` would come to (minimum charge, tax)."""
    subtotal = settings.minimum_charge if needs_minimum_charge(item_sum) else item_sum
    return totals_for(subtotal=subtotal, tax_rate=settings.tax_rate)


@dataclass(frozen=True)
class Item:
    """One priced, unbilled item: what becomes one invoice line."""

    source_key: str
    kind: str
    description: str
    service_date: datetime.date | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    unpriced: bool = False


def _unbilled(prefix: str, ignoring: Invoice | None) -> Exists:
    """No active invoice line bills this row (the partial unique index on source_key answers;
    lines of `ignoring`, a draft being refreshed, do not count)."""
    billed = InvoiceLine.objects.filter(
        is_active=True,
        source_key=Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField())),
    )
    if ignoring is not None:
        billed = billed.exclude(invoice=ignoring)
    return ~Exists(billed)


def _patients_filter(patients: Any) -> Q:
    """`patients` is one Patient, a queryset of patients, or None for everybody."""
    if patients is None:
        return Q()
    if isinstance(patients, QuerySet):
        return Q(patient__in=patients)
    return Q(patient=patients)


def history_items(
    *,
    settings: BillingSettings,
    patients: Any = None,
    ignoring: Invoice | None = None,
    with_labels: bool = False,
) -> QuerySet[MedicalHistory]:
    """Unbilled billable medication and surgery entries, annotated with `unit_price`,
    `amount`, `unpriced` (and `label`, the price-list spelling, when `with_labels`).

    The price-list look-ups are scalar subqueries on the (small) price lists; the name
    match uses the unique index on lower(name).
    """
    by_name = Lower("name")
    medication = MedicationCost.objects.annotate(key=by_name).filter(key=OuterRef("name_key"))
    procedure = ProcedureFee.objects.annotate(key=by_name).filter(key=OuterRef("name_key"))
    rows = (
        MedicalHistory.objects.billable()
        .filter(_patients_filter(patients))
        .annotate(name_key=Lower(Trim("description")))
        .filter(_unbilled(HISTORY_KEY, ignoring))
        .annotate(
            med_price=Coalesce(
                F("medication__unit_cost"), Subquery(medication.values("unit_cost")[:1])
            ),
            fee=Coalesce(F("procedure__fee"), Subquery(procedure.values("fee")[:1])),
        )
        .annotate(
            unit_price=Case(
                When(kind=HistoryKind.MEDICATION, then=Coalesce("med_price", Value(ZERO))),
                default=Coalesce("fee", Value(settings.default_surgery_fee)),
                output_field=_MONEY,
            ),
            unpriced=ExpressionWrapper(
                Q(kind=HistoryKind.MEDICATION, med_price__isnull=True),
                output_field=models.BooleanField(),
            ),
        )
        .annotate(
            amount=Case(
                When(kind=HistoryKind.MEDICATION, then=F("unit_price") * F("quantity")),
                default=F("unit_price"),
                output_field=_MONEY,
            )
        )
    )
    if with_labels:
        rows = rows.annotate(
            label=Case(
                When(
                    kind=HistoryKind.MEDICATION,
                    then=Coalesce(
                        "medication__name",
                        Subquery(medication.values("name")[:1]),
                        Trim("description"),
                    ),
                ),
                default=Coalesce(
                    "procedure__name", Subquery(procedure.values("name")[:1]), Trim("description")
                ),
                output_field=CharField(),
            )
        )
    return rows


def attendance_items(
    *, patients: Any = None, ignoring: Invoice | None = None
) -> QuerySet[Attendance]:
    """Unbilled attended appointments, annotated with `amount` (the doctor's consultation fee)
    and `day` (the appointment's local date)."""
    return (
        Attendance.objects.filter(_patients_filter(patients))
        .filter(appointment__status__in=ATTENDED)
        .filter(_unbilled(ATTENDANCE_KEY, ignoring))
        .annotate(
            amount=Cast("appointment__doctor__consultation_fee", output_field=_MONEY),
            day=TruncDate("appointment__start"),
        )
    )


_KIND_ORDER = {LineKind.CONSULTATION: 0, LineKind.SURGERY: 1, LineKind.MEDICATION: 2}


def items_for_patient(
    *, patient: Any, settings: BillingSettings, ignoring: Invoice | None = None
) -> list[Item]:
    """Every unbilled item of `patient`, priced, oldest first. Two queries."""
    items = []
    for row in history_items(
        settings=settings, patients=patient, ignoring=ignoring, with_labels=True
    ):
        is_medication = row.kind == HistoryKind.MEDICATION
        items.append(
            Item(
                source_key=f"{HISTORY_KEY}{row.pk}",
                kind=LineKind.MEDICATION if is_medication else LineKind.SURGERY,
                description=row.label,
                service_date=row.recorded_on,
                quantity=Decimal(row.quantity if is_medication else 1),
                unit_price=row.unit_price,
                amount=cents(row.amount),
                unpriced=row.unpriced,
            )
        )
    visits = attendance_items(patients=patient, ignoring=ignoring).select_related(
        "appointment__doctor"
    )
    for visit in visits:
        doctor = visit.appointment.doctor
        items.append(
            Item(
                source_key=f"{ATTENDANCE_KEY}{visit.pk}",
                kind=LineKind.CONSULTATION,
                description=f"Consultation with Dr {doctor.full_name}",
                service_date=visit.day,
                quantity=Decimal(1),
                unit_price=visit.amount,
                amount=cents(visit.amount),
            )
        )
    far_past = datetime.date.min
    items.sort(
        key=lambda i: (
            i.service_date or far_past,
            _KIND_ORDER[i.kind],
            int(i.source_key.rpartition(":")[2]),
        )
    )
    return items
