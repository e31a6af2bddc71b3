"""Invoices: draft (priced by the billing rule), review, issue, render, void."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing import rule
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from billing.services._fields import save_fields
from core import audit
from core.actors import acting_user, by_alias

if TYPE_CHECKING:
    from patients.models import Patient

INVOICE_DRAFT_FIELDS = ("due_date",)


def _locked_draft(invoice: Invoice, doing: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}; only a draft can be "
            f"{doing}."
        )
    return invoice


@transaction.atomic
def invoice_draft_update(*, invoice: Invoice, data: Mapping[str, Any], by: Any) -> Invoice:
    """Change the editable details (the due date) of a draft invoice."""
    invoice = _locked_draft(invoice, "changed")
    return save_fields(obj=invoice, data=data, fields=INVOICE_DRAFT_FIELDS, by=by)


@transaction.atomic
def invoice_draft_delete(*, invoice: Invoice, by: Any) -> None:
    """Throw away a draft invoice; its lines go with it and its items become unbilled again."""
    invoice = _locked_draft(invoice, "deleted")
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=invoice,
        changes=audit.snapshot(invoice, ("patient", "subtotal", "tax", "total")),
    )
    invoice.delete()


class DraftExists(ValidationError):
    """The patient already has a draft (perhaps made by another clerk this very moment);
    `invoice` is that draft when it could be found."""

    def __init__(self, message: str, *, invoice: Invoice | None) -> None:
        super().__init__(message)
        self.invoice = invoice


# Constraints that fail when two clerks draft the same patient at the same moment.
_DRAFT_RACE = {"billing_invoiceline_source_billed_once", "billing_invoice_one_draft_per_patient"}
# A visit undone at the desk (its check-in) while its consultation was being billed.
_VISIT_GONE = "billing_invoiceline_visit_exists"
_VISIT_GONE_MESSAGE = (
    "A visit of these items was just undone at the front desk: nothing was billed. "
    "Try again to bill what is left."
)
_RULE_KINDS = (LineKind.MEDICATION, LineKind.SURGERY, LineKind.CONSULTATION)
_AUDITED = ("patient", "status", "number", "subtotal", "tax", "total", "due_date")


def constraint_name(error: IntegrityError) -> str:
    """The name of the constraint (or trigger) the database reported, '' when none."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _line_from(invoice: Invoice, item: rule.Item) -> InvoiceLine:
    line = InvoiceLine(
        invoice=invoice,
        kind=item.kind,
        description=item.description[:255],
        quantity=item.quantity,
        unit_price=item.unit_price,
        amount=item.amount,
        source_key=item.source_key,
        service_date=item.service_date,
        unpriced=item.unpriced,
    )
    # Billed-once is checked by the database for the whole batch (see _DRAFT_RACE), and the
    # invoice was just saved: skip the per-line constraint and foreign-key queries.
    line.full_clean(exclude=["invoice"], validate_constraints=False)
    return line


def _minimum_charge_line(invoice: Invoice, settings_row: BillingSettings) -> InvoiceLine:
    line = InvoiceLine(
        invoice=invoice,
        kind=LineKind.MINIMUM_CHARGE,
        description="Minimum charge",
        unit_price=settings_row.minimum_charge,
        amount=settings_row.minimum_charge,
    )
    line.full_clean(exclude=["invoice"], validate_constraints=False)
    return line


# The largest amount an invoice (its total, each line) can hold: numeric(12, 2).
MAX_INVOICE_TOTAL = Decimal("9999999999.99")


def _refuse_too_large(amounts: list[Decimal], tax_rate: Decimal) -> None:
    """A clear refusal, before anything is written, for a bill the invoice cannot hold."""
    subtotal = sum(amounts, rule.ZERO)
    total = rule.totals_for(subtotal=subtotal, tax_rate=tax_rate).total
    if total > MAX_INVOICE_TOTAL or any(abs(a) > MAX_INVOICE_TOTAL for a in amounts):
        raise ValidationError(
            f"These items come to {total:,}, more than one invoice can hold "
            f"({MAX_INVOICE_TOTAL:,}). Check the prices and quantities (a price typed with "
            "too many digits?), or bill the items on separate invoices."
        )


def _bill_items(invoice: Invoice, settings_row: BillingSettings, items: list[rule.Item]) -> None:
    """Put the rule's items on `invoice`, with the minimum charge when they add up to 0.00."""
    _refuse_too_large([item.amount for item in items], settings_row.tax_rate)
    lines = [_line_from(invoice, item) for item in items]
    if rule.needs_minimum_charge(sum((item.amount for item in items), rule.ZERO)):
        lines.append(_minimum_charge_line(invoice, settings_row))
    InvoiceLine.objects.bulk_create(lines)


def _sync_minimum_charge(invoice: Invoice, settings_row: BillingSettings) -> None:
    """After a line is removed: one minimum-charge line exactly when the items add to 0.00."""
    lines = list(invoice.lines.all())
    item_sum = sum((line.amount for line in lines if line.kind in _RULE_KINDS), rule.ZERO)
    minimum = [line for line in lines if line.kind == LineKind.MINIMUM_CHARGE]
    if rule.needs_minimum_charge(item_sum) and not minimum:
        _minimum_charge_line(invoice, settings_row).save()
    elif not rule.needs_minimum_charge(item_sum) and minimum:
        InvoiceLine.objects.filter(pk__in=[line.pk for line in minimum]).delete()


def _recompute(invoice: Invoice, settings_row: BillingSettings) -> None:
    """Subtotal of the draft's lines, tax at today's rate; a discount cannot take it below 0."""
    subtotal = invoice.lines.filter(is_active=True).aggregate(s=Sum("amount"))["s"] or rule.ZERO
    if subtotal < 0:
        raise ValidationError(
            f"The discounts come to more than the charges (subtotal {subtotal}); "
            "make the discount smaller."
        )
    _refuse_too_large([subtotal], settings_row.tax_rate)
    totals = rule.totals_for(subtotal=subtotal, tax_rate=settings_row.tax_rate)
    invoice.tax_rate = settings_row.tax_rate
    invoice.currency = settings_row.currency
    invoice.subtotal, invoice.tax, invoice.total = totals.subtotal, totals.tax, totals.total


def _save_draft(invoice: Invoice) -> None:
    invoice.full_clean(exclude=["patient", "created_by", "issued_by", "voided_by"])
    invoice.save()


@by_alias("created_by")
@transaction.atomic
def invoice_draft_for_patient(*, patient: Patient, by: Any) -> Invoice:
    """A draft invoice with every unbilled item of `patient`, priced by the billing rule.

    Raises `DraftExists` when the patient already has a draft, also when another clerk
    drafts the same patient at the same moment (the database's billed-once and one-draft
    constraints decide who wins; nothing is billed twice).
    """
    existing = Invoice.objects.filter(patient=patient, status=InvoiceStatus.DRAFT).first()
    if existing is not None:
        raise DraftExists(
            f"{patient.full_name} already has a draft invoice ({existing}): review that one.",
            invoice=existing,
        )
    settings_row = BillingSettings.load()
    items = rule.items_for_patient(patient=patient, settings=settings_row)
    if not items:
        # The rule's minimum charge bills a patient with nothing billable once; a patient
        # whose items are all on invoices owes nothing more until something new is billable.
        billed = (
            Invoice.objects.filter(
                patient=patient, status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID)
            )
            .order_by("-issued_at")
            .first()
        )
        if billed is not None:
            raise ValidationError(
                f"Nothing new to bill for {patient.full_name}: everything is on invoice "
                f"{billed}. Record a visit, medication or surgery first."
            )
    try:
        with transaction.atomic():
            invoice = Invoice(patient=patient, created_by=acting_user(by))
            _save_draft(invoice)
            _bill_items(invoice, settings_row, items)
            _recompute(invoice, settings_row)
            _save_draft(invoice)
    except IntegrityError as error:
        if constraint_name(error) == _VISIT_GONE:
            raise ValidationError(_VISIT_GONE_MESSAGE) from error
        if constraint_name(error) not in _DRAFT_RACE:
            raise
        other = Invoice.objects.filter(patient=patient, status=InvoiceStatus.DRAFT).first()
        raise DraftExists(
            f"Another clerk has just drafted an invoice for {patient.full_name}"
            + (f" ({other})" if other else "")
            + ". Nothing was billed twice: review that draft.",
            invoice=other,
        ) from error
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=invoice,
        changes=audit.created(invoice, _AUDITED),
    )
    return invoice


@transaction.atomic
def invoice_draft_refresh(*, invoice: Invoice, by: Any) -> Invoice:
    """Price the draft again at today's prices and add items recorded since it was made.

    The 'other' lines and discounts stay; removed items come back (they were still unbilled).
    """
    invoice = _locked_draft(invoice, "refreshed")
    before = audit.snapshot(invoice, _AUDITED)
    settings_row = BillingSettings.load()
    invoice.lines.exclude(kind=LineKind.OTHER).delete()
    items = rule.items_for_patient(patient=invoice.patient, settings=settings_row)
    try:
        with transaction.atomic():
            _bill_items(invoice, settings_row, items)
    except IntegrityError as error:
        if constraint_name(error) == _VISIT_GONE:
            raise ValidationError(_VISIT_GONE_MESSAGE) from error
        if constraint_name(error) not in _DRAFT_RACE:
            raise
        raise ValidationError(
            "Some of these items were billed by another clerk at this moment; refresh again."
        ) from error
    _recompute(invoice, settings_row)
    _save_draft(invoice)
    changes = audit.diff(before, audit.snapshot(invoice, _AUDITED))
    audit.audit_record(actor=by, action=audit.Action.UPDATE, obj=invoice, changes=changes)
    return invoice


@transaction.atomic
def invoice_line_add(
    *,
    invoice: Invoice,
    description: str,
    amount: Decimal,
    by: Any,
    discount: bool = False,
) -> InvoiceLine:
    """Add an 'other' charge, or a discount (with its reason) that lowers the draft."""
    invoice = _locked_draft(invoice, "changed")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "Say what the line is for (a discount's reason)."})
    amount = rule.cents(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": "Enter an amount above zero."})
    if discount:
        amount, description = -amount, f"Discount: {description}"
    line = InvoiceLine(
        invoice=invoice,
        kind=LineKind.OTHER,
        description=description[:255],
        unit_price=amount,
        amount=amount,
    )
    line.full_clean(exclude=["invoice"])
    line.save()
    settings_row = BillingSettings.load()
    _recompute(invoice, settings_row)
    _save_draft(invoice)
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=invoice,
        changes={"line_added": {"before": None, "after": f"{line.description}: {amount}"}},
    )
    return line


@transaction.atomic
def invoice_line_remove(*, line: InvoiceLine, by: Any) -> Invoice:
    """Take a line off a draft: the item it billed stays unbilled for a later invoice."""
    invoice = _locked_draft(line.invoice, "changed")
    line = invoice.lines.get(pk=line.pk)
    if line.kind == LineKind.MINIMUM_CHARGE:
        raise ValidationError(
            "The minimum charge follows the billing rule; add a discount with a reason to waive it."
        )
    described = f"{line.description}: {line.amount}"
    line.delete()
    settings_row = BillingSettings.load()
    _sync_minimum_charge(invoice, settings_row)
    _recompute(invoice, settings_row)
    _save_draft(invoice)
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=invoice,
        changes={"line_removed": {"before": described, "after": None}},
    )
    return invoice
