"""The cashier's day: what one cashier took and gave back on one day, by method, and its close.

`cashier_day` (a selector) reads the day; `cashier_day_close` (a service) freezes it with its
printed sheet. Money over the counter is payments (not those paid from the patient's account,
which move no cash), deposits and refunds. Once a day is closed the database refuses any
payment, deposit or refund of that cashier dated in it (billing/migrations/0007).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing import pdf, rule
from billing.models import (
    AccountEntry,
    AccountEntryKind,
    BillingSettings,
    CashierDayClose,
    CashMethod,
    Payment,
    PaymentMethod,
    Refund,
)
from core import audit
from core.actors import acting_user
from core.dates import local_day_bounds

ZERO = rule.ZERO
# Money the cashier takes: the counter's methods, and insurance payments recorded at the desk.
METHODS = [*CashMethod.choices, (PaymentMethod.INSURANCE.value, PaymentMethod.INSURANCE.label)]


@dataclass
class Day:
    cashier: Any
    day: datetime.date
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    methods: list[dict] = field(default_factory=list)
    movements: list[dict] = field(default_factory=list)
    payments: Decimal = ZERO
    deposits: Decimal = ZERO
    refunds: Decimal = ZERO
    expected_cash: Decimal = ZERO
    closed: CashierDayClose | None = None
    patient_ids: list[int] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.payments + self.deposits - self.refunds

    def figures(self) -> dict:
        """As stored on the close and printed (JSON: amounts as text)."""
        return {
            "methods": [{k: str(v) for k, v in row.items()} for row in self.methods],
            "movements": self.movements,
            "payments": str(self.payments),
            "deposits": str(self.deposits),
            "refunds": str(self.refunds),
            "net": str(self.net),
        }


def cashier_day(*, cashier: Any, day: datetime.date) -> Day:
    """Every movement of `cashier` on the hospital's local `day`, with totals by method.
    Three queries whatever the day holds."""
    starts_at, ends_at = local_day_bounds(day)
    result = Day(cashier=cashier, day=day, starts_at=starts_at, ends_at=ends_at)
    result.closed = CashierDayClose.objects.filter(cashier=cashier, day=day).first()
    sums = {method: {"payments": ZERO, "deposits": ZERO, "refunds": ZERO} for method, _ in METHODS}
    window = {"gte": starts_at, "lt": ends_at}
    payments = (
        Payment.objects.filter(
            received_by=cashier,
            received_at__gte=window["gte"],
            received_at__lt=window["lt"],
        )
        .exclude(method=PaymentMethod.ACCOUNT)
        .select_related("invoice__patient")
    )
    deposits = AccountEntry.objects.filter(
        received_by=cashier,
        kind=AccountEntryKind.DEPOSIT,
        received_at__gte=window["gte"],
        received_at__lt=window["lt"],
    ).select_related("patient")
    refunds = Refund.objects.filter(
        refunded_by=cashier, refunded_at__gte=window["gte"], refunded_at__lt=window["lt"]
    ).select_related("patient", "invoice")
    moves = []
    for p in payments:
        sums.setdefault(p.method, {"payments": ZERO, "deposits": ZERO, "refunds": ZERO})
        sums[p.method]["payments"] += p.amount
        moves.append(
            (p.received_at, "Payment", p.invoice.patient, p.invoice.number, p.method, p.amount)
        )
    for d in deposits:
        sums[d.method]["deposits"] += d.amount
        moves.append((d.received_at, "Deposit", d.patient, d.reference, d.method, d.amount))
    for r in refunds:
        sums[r.method]["refunds"] += r.amount
        document = r.invoice.number if r.invoice_id else "Account"
        moves.append((r.refunded_at, "Refund", r.patient, document, r.method, -r.amount))
    labels = dict(METHODS)
    for method, row in sums.items():
        result.methods.append(
            {
                "method": method,
                "label": labels.get(method, method),
                "payments": row["payments"],
                "deposits": row["deposits"],
                "refunds": row["refunds"],
                "net": row["payments"] + row["deposits"] - row["refunds"],
            }
        )
        result.payments += row["payments"]
        result.deposits += row["deposits"]
        result.refunds += row["refunds"]
    cash = sums[CashMethod.CASH]
    result.expected_cash = cash["payments"] + cash["deposits"] - cash["refunds"]
    moves.sort(key=lambda move: move[0])
    result.patient_ids = sorted({move[2].pk for move in moves})
    result.movements = [
        {
            "time": timezone.localtime(at).strftime("%H:%M"),
            "what": what,
            "patient": f"{patient.full_name} ({patient.mrn})",
            "document": document or "",
            "method": labels.get(method, method),
            "amount": str(amount),
        }
        for at, what, patient, document, method, amount in moves
    ]
    return result


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else "the system"


@transaction.atomic
def cashier_day_close(
    *, cashier: Any, day: datetime.date, by: Any, counted_cash: Decimal | None = None
) -> CashierDayClose:
    """Close `cashier`'s `day`: its figures and printed sheet are stored, and nothing more of
    theirs can be dated in it. A day not yet over cannot be closed by anyone but the cashier."""
    today = timezone.localdate()
    if day > today:
        raise ValidationError({"day": "A day in the future cannot be closed."})
    if counted_cash is not None and (counted_cash < 0 or counted_cash != rule.cents(counted_cash)):
        raise ValidationError({"counted_cash": "Enter the cash counted in whole cents, 0 or more."})
    actor = acting_user(by)
    # The lock payments and refunds take (billing_movement_guard): none lands while we count.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('billing_cashier_day'), %s::int)", [cashier.pk]
        )
    figures = cashier_day(cashier=cashier, day=day)
    if figures.closed is not None:
        raise ValidationError(f"{_name(cashier)}'s day {day:%Y-%m-%d} is already closed.")
    closed_at = timezone.now()
    settings_row = BillingSettings.load()
    hospital = {
        "name": settings_row.hospital_name,
        "address_lines": [x for x in settings_row.hospital_address.splitlines() if x.strip()],
        "tax_id": settings_row.tax_id,
    }
    html = render_to_string(
        "billing/pdf/day_close.html",
        {
            "hospital": hospital,
            "day": day,
            "cashier_name": _name(cashier),
            "closed_at": timezone.localtime(closed_at),
            "closed_by_name": _name(actor),
            "currency": settings_row.currency,
            "figures": figures.figures(),
            "expected_cash": figures.expected_cash,
            "counted_cash": counted_cash,
            "difference": None if counted_cash is None else counted_cash - figures.expected_cash,
            "fonts": pdf.font_urls(False),
        },
    )
    document = pdf.html_to_pdf(html)
    close = CashierDayClose(
        cashier=cashier,
        day=day,
        starts_at=figures.starts_at,
        ends_at=figures.ends_at,
        figures=figures.figures(),
        expected_cash=figures.expected_cash,
        counted_cash=counted_cash,
        closed_at=closed_at,
        closed_by=actor,
        pdf=document,
        pdf_sha256=pdf.sha256(document),
    )
    try:
        with transaction.atomic():
            close.save()
    except IntegrityError as error:
        raise ValidationError(
            f"{_name(cashier)}'s day {day:%Y-%m-%d} is already closed."
        ) from error
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=close,
        changes={
            "day": {"before": None, "after": str(day)},
            "cashier": {"before": None, "after": cashier.get_username()},
            "expected_cash": {"before": None, "after": str(figures.expected_cash)},
            "counted_cash": {
                "before": None,
                "after": None if counted_cash is None else str(counted_cash),
            },
        },
    )
    return close
