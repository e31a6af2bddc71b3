"""Money after issue: credit notes, refunds, deposits and the patient's account.

Each service ends by asking the database to check the money now (`checked_money`): the deferred
rules of billing/migrations/0007 (every balance between zero and what is charged, statuses
that match, no account below zero) would otherwise wait for the commit.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from billing import pdf, rule
from billing.models import (
    AccountEntry,
    AccountEntryKind,
    BillingSettings,
    CashierDayClose,
    CashMethod,
    CreditNote,
    CreditNoteNumberCounter,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Refund,
)
from core import audit
from core.actors import acting_user
from core.templatetags.money import format_money

if TYPE_CHECKING:
    from patients.models import Patient

SETTLE_REFUND = "refund"
SETTLE_ACCOUNT = "account"
# Deposits and refunds: at most this much in one movement (an invoice holds at most this).
MAX_AMOUNT = Decimal("9999999999.99")


class MoneyRefused(ValidationError):
    """The database refused a movement (its rules caught what the service did not)."""


@contextmanager
def checked_money():
    """Check the money rules at the end of the block instead of at the commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")
    yield
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS billing_money_balances IMMEDIATE")
    except IntegrityError as error:
        raise MoneyRefused(f"The money would not balance: {error.__cause__}") from error


def _amount(value: Any, *, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(value)
    except (ArithmeticError, TypeError, ValueError) as error:
        raise ValidationError({field: "Enter an amount such as 120.00."}) from error
    if not amount.is_finite() or amount != rule.cents(amount):
        raise ValidationError({field: "Enter the amount in whole cents."})
    if amount <= 0:
        raise ValidationError({field: "Enter an amount above zero."})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: f"Enter at most {MAX_AMOUNT:,}."})
    return amount


def _method(value: str, *, field: str = "method") -> str:
    if value not in CashMethod.values:
        raise ValidationError({field: "Choose cash, card or bank transfer."})
    return value


def refuse_closed_day(cashier: Any, at: datetime.datetime) -> None:
    """A movement dated in the cashier's closed day is refused (the database refuses it too)."""
    if cashier is None:
        return
    closed = CashierDayClose.objects.filter(
        cashier=cashier, starts_at__lte=at, ends_at__gt=at
    ).first()
    if closed is not None:
        raise ValidationError(
            f"The cashier's day {closed.day:%Y-%m-%d} of {cashier.get_username()} is closed: "
            "nothing more can be dated in it. Date it today, or ask a supervisor."
        )


def _paid_on(invoice: Invoice) -> Decimal:
    """What was paid on an invoice the caller has just locked: the sum of its payments, which
    the database keeps on the row (billing/migrations/0012)."""
    return invoice.amount_paid


def account_balance(patient: Patient) -> Decimal:
    """What the hospital holds for the patient (deposits and credits not yet used)."""
    total = AccountEntry.objects.filter(patient=patient).aggregate(s=Sum("amount"))["s"]
    return total or rule.ZERO


def _next_credit_note_number(year: int) -> str:
    """The year's next CN number; the counter row stays locked until the commit (gapless)."""
    CreditNoteNumberCounter.objects.bulk_create(
        [CreditNoteNumberCounter(year=year)], ignore_conflicts=True
    )
    counter = CreditNoteNumberCounter.objects.select_for_update().get(year=year)
    if counter.last_number >= 999999:
        raise ValidationError(f"All credit note numbers of {year} are used up.")
    counter.last_number += 1
    counter.save(update_fields=["last_number", "updated_at"])
    return f"CN-{year}-{counter.last_number:06d}"


def _credit_note_pdf(note: CreditNote, invoice: Invoice, paid: Decimal, settled: dict | None):
    header = invoice.snapshot or pdf.header_for(
        patient=invoice.patient, settings=BillingSettings.load()
    )
    html = render_to_string(
        "billing/pdf/credit_note.html",
        {
            "note": note,
            "invoice": invoice,
            "lines": list(invoice.lines.filter(is_active=True)),
            "hospital": header["hospital"],
            "bill_to": header["patient"],
            "paid": paid,
            "settled": settled,
            "fonts": pdf.font_urls(False),
        },
    )
    return pdf.html_to_pdf(html)


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    by: Any,
    settle: str = SETTLE_REFUND,
    refund_method: str = "",
    refund_reference: str = "",
) -> CreditNote:
    """Credit an issued (perhaps paid) invoice in full.

    Its lines are freed, so a corrected invoice can bill the same items. What was paid on it
    is settled in the same transaction: refunded (`settle="refund"`, with the method) or
    carried to the patient's account (`settle="account"`), where the next invoice uses it.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}: only an issued or "
            "paid invoice can be credited."
        )
    if invoice.total <= 0:
        raise ValidationError(f"Invoice {invoice} is for 0.00: void it instead.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the credit note."})
    paid = _paid_on(invoice)
    if paid > 0 and settle not in (SETTLE_REFUND, SETTLE_ACCOUNT):
        raise ValidationError({"settle": "Say whether the money paid is refunded or kept."})
    if paid > 0 and settle == SETTLE_REFUND:
        _method(refund_method, field="refund_method")
    now = timezone.now()
    actor = acting_user(by)
    if paid > 0 and settle == SETTLE_REFUND:
        refuse_closed_day(actor, now)
    with checked_money():
        note = CreditNote(
            number=_next_credit_note_number(timezone.localdate(now).year),
            invoice=invoice,
            patient=invoice.patient,
            subtotal=invoice.subtotal,
            tax=invoice.tax,
            total=invoice.total,
            currency=invoice.currency,
            reason=reason[:255],
            issued_at=now,
            issued_by=actor,
        )
        settled = None
        if paid > 0 and settle == SETTLE_REFUND:
            settled = {
                "label": f"Refunded ({CashMethod(refund_method).label.lower()})",
                "amount": paid,
                "sentence": f"The {format_money(paid, invoice.currency)} paid is refunded by "
                f"{CashMethod(refund_method).label}.",
            }
        elif paid > 0:
            settled = {
                "label": "Kept on the patient's account",
                "amount": paid,
                "sentence": f"The {format_money(paid, invoice.currency)} paid is kept on the "
                "patient's account for later bills.",
            }
        note.pdf = _credit_note_pdf(note, invoice, paid, settled)
        note.pdf_sha256 = pdf.sha256(note.pdf)
        note.full_clean(exclude=["invoice", "patient", "issued_by"])
        note.save()
        invoice.status = InvoiceStatus.CREDITED
        invoice.save(update_fields=["status", "updated_at"])
        freed = invoice.lines.filter(is_active=True).update(is_active=False, updated_at=now)
        if paid > 0 and settle == SETTLE_REFUND:
            Refund.objects.create(
                patient=invoice.patient,
                invoice=invoice,
                amount=paid,
                method=refund_method,
                reference=(refund_reference or "").strip()[:100],
                reason=f"Credit note {note.number}",
                refunded_at=now,
                refunded_by=actor,
            )
        elif paid > 0:
            AccountEntry.objects.create(
                patient=invoice.patient,
                kind=AccountEntryKind.FROM_INVOICE,
                amount=paid,
                invoice=invoice,
                note=f"Credit note {note.number}",
                received_at=now,
                received_by=actor,
            )
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=note,
        patient=invoice.patient,
        changes={
            "invoice": {"before": None, "after": invoice.number},
            "total": {"before": None, "after": str(note.total)},
            "reason": {"before": None, "after": note.reason},
            "paid_settled": {"before": None, "after": f"{paid} {settle if paid else ''}".strip()},
            "lines_freed": {"before": None, "after": freed},
        },
    )
    return note


@transaction.atomic
def deposit_take(
    *,
    patient: Patient,
    amount: Any,
    method: str,
    by: Any,
    reference: str = "",
    note: str = "",
    received_at: datetime.datetime | None = None,
) -> AccountEntry:
    """Money taken ahead of treatment (e.g. before a surgery): a credit on the account."""
    amount = _amount(amount)
    _method(method)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"received_at": "A deposit cannot be received in the future."})
    refuse_closed_day(acting_user(by), received_at)
    with checked_money():
        entry = AccountEntry.objects.create(
            patient=patient,
            kind=AccountEntryKind.DEPOSIT,
            amount=amount,
            method=method,
            reference=(reference or "").strip()[:100],
            note=(note or "").strip()[:255],
            received_at=received_at,
            received_by=acting_user(by),
        )
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=entry,
        patient=patient,
        changes=audit.created(entry, ("kind", "amount", "method", "reference", "note")),
    )
    return entry


@transaction.atomic
def account_apply(*, invoice: Invoice, by: Any, amount: Any = None) -> Payment:
    """Pay an issued invoice from the patient's account (all that is held, up to the balance,
    unless `amount` says less)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}: account credit pays "
            "issued invoices only."
        )
    _lock_account(invoice.patient)
    held = account_balance(invoice.patient)
    balance = invoice.total - _paid_on(invoice)
    amount = min(held, balance) if amount in (None, "") else _amount(amount)
    if amount <= 0:
        raise ValidationError("The patient's account holds nothing to use.")
    if amount > held:
        held_money = format_money(held, invoice.currency)
        raise ValidationError({"amount": f"The account holds {held_money}; use at most that."})
    if amount > balance:
        due = format_money(balance, invoice.currency)
        raise ValidationError({"amount": f"The balance due is {due}; use at most that."})
    now = timezone.now()
    with checked_money():
        payment = Payment.objects.create(
            invoice=invoice,
            amount=amount,
            method=PaymentMethod.ACCOUNT,
            received_at=now,
            reference="From the patient's account",
            received_by=acting_user(by),
        )
        AccountEntry.objects.create(
            patient=invoice.patient,
            kind=AccountEntryKind.APPLIED,
            amount=-amount,
            payment=payment,
            note=f"Paid on {invoice.number}",
            received_at=now,
            received_by=acting_user(by),
        )
        if amount == balance:
            invoice.status = InvoiceStatus.PAID
            invoice.save(update_fields=["status", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=payment,
        patient=invoice.patient,
        changes=audit.created(payment, ("invoice", "amount", "method")),
    )
    return payment


@transaction.atomic
def account_refund(
    *, patient: Patient, amount: Any, method: str, reason: str, by: Any, reference: str = ""
) -> Refund:
    """Give back money the account holds (an unused deposit, a credit)."""
    amount = _amount(amount)
    _method(method)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the money is given back."})
    _lock_account(patient)
    held = account_balance(patient)
    if amount > held:
        held_money = format_money(held, BillingSettings.load().currency)
        raise ValidationError({"amount": f"The account holds {held_money}; refund at most that."})
    now = timezone.now()
    refuse_closed_day(acting_user(by), now)
    with checked_money():
        refund = Refund.objects.create(
            patient=patient,
            amount=amount,
            method=method,
            reference=(reference or "").strip()[:100],
            reason=reason[:255],
            refunded_at=now,
            refunded_by=acting_user(by),
        )
        AccountEntry.objects.create(
            patient=patient,
            kind=AccountEntryKind.REFUNDED,
            amount=-amount,
            refund=refund,
            note=reason[:255],
            received_at=now,
            received_by=acting_user(by),
        )
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=refund,
        patient=patient,
        changes=audit.created(refund, ("amount", "method", "reference", "reason")),
    )
    return refund


def _lock_account(patient: Patient) -> None:
    """The same lock the database's account trigger takes: one movement at a time."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('billing_account'), %s::int)", [patient.pk]
        )
