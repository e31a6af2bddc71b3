"""The billing rule of DESIGN.md (the seed's `calculatepatientbill`), in one place.

The rule is one SQL function, `billing_unbilled_items(patients, default_surgery_fee, zone)`
(billing/migrations/_bill_rule_sql.py says it in full): every unbilled billable item of the
given patients, priced. Drafting an invoice and the billing preview read it here for one
patient; the patient-bills report, the ready-to-bill list and their totals read the per-patient
sums the database keeps from the same function (`billing.bill_summary`). In short:

* each billable medication entry: quantity x the unit cost of its price-list medication, found
  by the entry's foreign key or else by its name (trimmed, case-blind); a medication missing
  from the list costs 0.00 and is flagged `unpriced`;
* each billable surgery entry: its procedure fee (foreign key, else the name, trimmed and
  case-blind) or the default surgery fee;
* each attended appointment (an `Attendance` whose appointment was checked in or completed):
  the doctor's consultation fee;
* when all of that adds up to 0.00, one minimum-charge line; then tax (`totals_for`).

`None`, `N/A`, `-` and blanks in a description mean "nothing" (imported data): such an entry is
no item (`core.nothing`; the chart's billable mark, `MedicalHistory.bills`, agrees). An item is
unbilled while no active invoice line carries it (`source_key` `history:<id>` or
`attendance:<id>`, read by the database as the typed keys `history_id` / `attendance_id`).
Money is `Decimal`, each amount rounded half-up to cents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from appointments.models import AppointmentStatus
from billing.models import BillingSettings, LineKind

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
HISTORY_KEY = "history:"
ATTENDANCE_KEY = "attendance:"
# An attendance bills a consultation once the patient was seen: checked in or completed
# (checked in, then cancelled, means the patient left before being seen).
ATTENDED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


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


_KIND_ORDER = {LineKind.CONSULTATION: 0, LineKind.SURGERY: 1, LineKind.MEDICATION: 2}


def items_for_patient(*, patient: Any, settings: BillingSettings) -> list[Item]:
    """Every unbilled item of `patient`, priced by the rule's SQL function, oldest first.
    One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, source_key, description, service_date, quantity, unit_price, amount,"
            " unpriced FROM billing_unbilled_items(ARRAY[%s]::bigint[], %s, %s)",
            [patient.pk, settings.default_surgery_fee, timezone.get_current_timezone_name()],
        )
        rows = cursor.fetchall()
    items = [
        Item(
            source_key=key,
            kind=LineKind(kind),
            description=text,
            service_date=day,
            quantity=Decimal(quantity),
            unit_price=price,
            amount=cents(amount),
            unpriced=unpriced,
        )
        for kind, key, text, day, quantity, price, amount, unpriced in rows
    ]
    far_past = datetime.date.min
    items.sort(
        key=lambda i: (
            i.service_date or far_past,
            _KIND_ORDER[i.kind],
            int(i.source_key.rpartition(":")[2]),
        )
    )
    return items
