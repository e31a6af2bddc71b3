"""Issuing and voiding an invoice: its number, the clerk's confirmation of its figures,
the stored PDF (split from billing.services.invoices)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from billing import pdf, rule, tasks
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceNumberCounter,
    InvoiceStatus,
)
from core import audit
from core.actors import acting_user, by_alias
from core.templatetags.money import format_money

if TYPE_CHECKING:
    pass

from billing.services.invoices import (  # noqa: E402
    _locked_draft,
    _recompute,
)


def _next_invoice_number(year: int) -> str:
    """The year's next number. Locks the year's counter row until the caller's transaction
    ends, so a rolled-back issue gives its number back and numbers stay gapless."""
    # The first invoice of a year creates the row; numbers already in the table (imported or
    # made by hand) are continued rather than collided with.
    prefix = f"INV-{year}-"
    counter = InvoiceNumberCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        taken = (
            Invoice.objects.filter(number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        start = int(taken.removeprefix(prefix)) if taken else 0
        InvoiceNumberCounter.objects.bulk_create(
            [InvoiceNumberCounter(year=year, last_number=start)], ignore_conflicts=True
        )
        counter = InvoiceNumberCounter.objects.select_for_update().get(year=year)
    if counter.last_number >= 999999:
        raise ValidationError(f"All invoice numbers of {year} are used up.")
    counter.last_number += 1
    counter.save(update_fields=["last_number", "updated_at"])
    return f"{prefix}{counter.last_number:06d}"


@dataclass(frozen=True)
class IssueTerms:
    """What issuing the draft now gives, as the clerk confirms it: the active lines, the
    totals at today's tax rate (issuing prices them again, as `_recompute` does), the due date."""

    lines: int
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    tax_rate: Decimal
    currency: str
    due_date: datetime.date

    @property
    def tax_percent(self) -> Decimal:
        return (self.tax_rate * 100).normalize()


def invoice_issue_terms(*, invoice: Invoice) -> IssueTerms:
    """The figures issuing `invoice` would freeze, read without locking or writing anything:
    the confirmation page shows them and sends back the total and line count it showed."""
    settings_row = BillingSettings.load()
    active = invoice.lines.filter(is_active=True).aggregate(n=Count("id"), s=Sum("amount"))
    totals = rule.totals_for(subtotal=active["s"] or rule.ZERO, tax_rate=settings_row.tax_rate)
    today = timezone.localdate()
    due = invoice.due_date or today + datetime.timedelta(days=settings_row.payment_terms_days)
    return IssueTerms(
        lines=active["n"],
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        tax_rate=settings_row.tax_rate,
        currency=settings_row.currency,
        due_date=due,
    )


class DraftChanged(ValidationError):
    """The draft is not what the clerk confirmed (a line added or removed, prices or the tax
    rate changed in between): nothing is issued. `terms` are the figures as they are now."""

    def __init__(self, message: str, *, terms: IssueTerms) -> None:
        super().__init__(message, code="draft_changed")
        self.terms = terms


def _check_confirmed(
    invoice: Invoice, terms: IssueTerms, total: Decimal | None, lines: int | None
) -> None:
    """Refuse (`DraftChanged`) when the locked, priced-again draft is not what was confirmed."""
    if total is None:
        return
    changes = []
    if lines is not None and terms.lines != lines:
        changes.append(
            f"it now has {terms.lines} line{'' if terms.lines == 1 else 's'}, not {lines}"
        )
    if terms.total != total:
        now, was = format_money(terms.total, terms.currency), format_money(total, terms.currency)
        changes.append(f"it now comes to {now}, not {was}")
    if changes:
        raise DraftChanged(
            f"{invoice} changed since you confirmed it: {' and '.join(changes)}. Nothing was "
            "issued: check the figures below and confirm again.",
            terms=terms,
        )


@by_alias("issued_by")
@transaction.atomic
def invoice_issue(
    *,
    invoice: Invoice,
    by: Any,
    confirmed_total: Decimal | None = None,
    confirmed_lines: int | None = None,
) -> Invoice:
    """Number the draft and freeze it; its PDF is rendered and stored right after the commit.

    With `confirmed_total` (and `confirmed_lines`), the figures the clerk confirmed (see
    `invoice_issue_terms`): a draft that comes to another total, or has another number of
    lines, once locked and priced again is not issued (`DraftChanged`).

    The year's number counter stays locked until the commit, so numbers never skip; the PDF
    (a quarter of a second) is rendered outside that lock, by a job (`invoice_pdf_store`), so
    clerks issuing at the same moment do not wait for each other's PDFs.
    """
    invoice = _locked_draft(invoice, "issued")
    settings_row = BillingSettings.load()
    lines = list(invoice.lines.filter(is_active=True))
    if not lines:
        raise ValidationError("An invoice needs at least one line.")
    today = timezone.localdate()
    due = invoice.due_date or today + datetime.timedelta(days=settings_row.payment_terms_days)
    if due < today:
        raise ValidationError({"due_date": "The due date is before today."})
    _recompute(invoice, settings_row)
    terms = IssueTerms(
        lines=len(lines),
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        tax_rate=invoice.tax_rate,
        currency=invoice.currency,
        due_date=due,
    )
    _check_confirmed(invoice, terms, confirmed_total, confirmed_lines)
    invoice.due_date = due
    invoice.snapshot = pdf.header_for(patient=invoice.patient, settings=settings_row)
    invoice.issued_at = timezone.now()
    invoice.issued_by = acting_user(by)
    # Queued in this transaction (the job exists only if the issue commits), and before the
    # number is taken: the counter stays locked for as short a time as can be.
    tasks.store_invoice_pdf.defer(invoice_id=invoice.pk)
    invoice.number = _next_invoice_number(today.year)
    invoice.status = InvoiceStatus.ISSUED
    # The database holds the constraints (checked again on save); asking it first, one query
    # each, would lengthen the time the number counter is locked.
    invoice.full_clean(
        exclude=["patient", "created_by", "issued_by", "voided_by"], validate_constraints=False
    )
    invoice.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=invoice,
        changes={
            "status": {"before": InvoiceStatus.DRAFT, "after": invoice.status},
            "number": {"before": None, "after": invoice.number},
            "total": {"before": None, "after": str(invoice.total)},
            "lines": {"before": None, "after": len(lines)},
        },
    )
    return invoice


def invoice_pdf_store(*, invoice_id: int) -> bool:
    """Render and store the PDF of an issued invoice, as at its issue, with its SHA-256.

    Idempotent: an invoice whose PDF is stored is left alone (False). Locks only this
    invoice's row, never the number counter. The database accepts the write once.
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None or invoice.is_draft or invoice.pdf is not None:
            return False
        # Every line it was issued with (a credit note or a void later frees them).
        lines = list(invoice.lines.order_by("id"))
        data = pdf.render_invoice_pdf(invoice, lines=lines)
        invoice.pdf = data
        invoice.pdf_sha256 = pdf.sha256(data)
        invoice.save(update_fields=["pdf", "pdf_sha256"])
        audit.audit_record(
            actor=None,
            action=audit.Action.UPDATE,
            obj=invoice,
            changes={"pdf_sha256": {"before": None, "after": invoice.pdf_sha256}},
        )
    return True


def invoice_render_pdf(*, invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF, rendered now (issuing stores the one that counts)."""
    return pdf.render_invoice_pdf(invoice)


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, by: Any) -> Invoice:
    """Void an issued invoice nobody has paid anything on: its PDF is kept and a copy stamped
    VOID is stored; its lines are deactivated, so the items can be billed again. A paid or
    part-paid invoice is credited instead (`credit_note_issue`), so its money is settled."""
    invoice_pdf_store(invoice_id=invoice.pk)  # voided before its job ran: stamp it anyway
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}: only an issued "
            "invoice can be voided (a draft is deleted instead)."
        )
    if invoice.status == InvoiceStatus.PAID or invoice.payments.exists():
        raise ValidationError(
            f"Invoice {invoice} has payments, so it is not voided: issue a credit note for "
            "it, which refunds the money paid or keeps it on the patient's account."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason to void the invoice."})
    before = invoice.status
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason[:255]
    invoice.voided_at = timezone.now()
    invoice.voided_by = acting_user(by)
    if invoice.pdf:
        invoice.void_pdf = pdf.stamp_void(
            bytes(invoice.pdf), reason=invoice.void_reason, voided_at=invoice.voided_at
        )
        invoice.void_pdf_sha256 = pdf.sha256(invoice.void_pdf)
    invoice.full_clean(exclude=["patient", "created_by", "issued_by", "voided_by"])
    invoice.save(
        update_fields=[
            "status",
            "void_reason",
            "voided_at",
            "voided_by",
            "void_pdf",
            "void_pdf_sha256",
            "updated_at",
        ]
    )
    freed = invoice.lines.filter(is_active=True).update(is_active=False, updated_at=timezone.now())
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=invoice,
        changes={
            "status": {"before": before, "after": invoice.status},
            "void_reason": {"before": "", "after": invoice.void_reason},
            "lines_freed": {"before": None, "after": freed},
        },
    )
    return invoice
