"""Payments: partial ones allowed, never more than the balance."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import rule
from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from billing.services.money import checked_money, refuse_closed_day
from core import audit
from core.actors import acting_user, by_alias
from core.templatetags.money import format_money


@by_alias("received_by")
@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    by: Any,
    reference: str = "",
    received_at: datetime.datetime | None = None,
) -> Payment:
    """Record a payment (partial ones too) against an issued invoice; never more than the
    balance. The invoice row is locked, so two clerks taking payment at once cannot overpay
    (a database trigger refuses it as well). Paying the balance in full marks it paid."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.PAID:
        raise ValidationError(f"Invoice {invoice} is already paid in full.")
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}: "
            "payments are taken on issued invoices only."
        )
    if method == PaymentMethod.ACCOUNT:
        raise ValidationError(
            {"method": "Money held on the patient's account is used with 'Use account credit'."}
        )
    amount = Decimal(amount)
    if amount != rule.cents(amount):
        raise ValidationError({"amount": "Enter the amount in whole cents."})
    if amount <= 0:
        raise ValidationError({"amount": "Enter an amount above zero."})
    # The row is locked and its amount paid is the database's own sum of its payments.
    balance = invoice.total - invoice.amount_paid
    if amount > balance:
        raise ValidationError(
            {
                "amount": f"The balance due is {format_money(balance, invoice.currency)}; "
                "pay at most that."
            }
        )
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"received_at": "A payment cannot be received in the future."})
    issued_on = timezone.localdate(invoice.issued_at)
    if timezone.localdate(received_at) < issued_on:
        raise ValidationError(
            {
                "received_at": f"The invoice was issued on {issued_on:%Y-%m-%d}: a payment of it "
                "cannot be dated earlier."
            }
        )
    if method != PaymentMethod.ACCOUNT:
        refuse_closed_day(acting_user(by), received_at)
    payment = Payment(
        invoice=invoice,
        amount=amount,
        method=method,
        received_at=received_at,
        reference=(reference or "").strip(),
        received_by=acting_user(by),
    )
    payment.full_clean(exclude=["invoice", "received_by"])
    with checked_money():
        payment.save()
        if amount == balance:
            invoice.status = InvoiceStatus.PAID
            invoice.save(update_fields=["status", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=payment,
        patient=invoice.patient,
        changes=audit.created(payment, ("invoice", "amount", "method", "received_at", "reference")),
    )
    return payment
