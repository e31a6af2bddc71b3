"""Invoice: an issued invoice (billing.Invoice) with the figures its PDF prints: each line's
description, quantity, unit price and amount, the subtotal, the tax and the total, in the
currency frozen on it when it was issued. Drafts are not served (they are not invoices yet).

Status: issued (open), balanced (paid in full), cancelled (voided, or credited in full by a
credit note; `cancelledReason` and a note say why). Money is the invoice's own Decimal figures,
never recomputed.

Search: `patient`, `identifier` (the invoice number), `status`, `date` (when it was issued).
Front desk, billing clerks and administrators read it (billing.access: "see and print
invoices"); doctors do not. Every read is audited as the patient's."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from fhir.resources.R4B.invoice import Invoice as InvoiceResource

from billing import access
from billing.models import Invoice, InvoiceLine, InvoiceStatus
from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of, moment_condition, reference_id
from fhir.systems import invoice_line_kind_system, invoice_number_system
from patients.models import Patient

# FHIR's invoice-status for each of the invoice's; a draft is never served.
STATUS = {
    InvoiceStatus.ISSUED: "issued",
    InvoiceStatus.PAID: "balanced",
    InvoiceStatus.VOID: "cancelled",
    InvoiceStatus.CREDITED: "cancelled",
}
# What each FHIR status finds (draft and entered-in-error: nothing served is either).
STATUS_SEARCH: dict[str, list[str]] = {
    "issued": [InvoiceStatus.ISSUED],
    "balanced": [InvoiceStatus.PAID],
    "cancelled": [InvoiceStatus.VOID, InvoiceStatus.CREDITED],
    "draft": [],
    "entered-in-error": [],
}
STATUS_SYSTEM = "http://hl7.org/fhir/invoice-status"


def invoices() -> QuerySet[Invoice]:
    """Issued, paid, void and credited invoices (no drafts), with what `to_resource` reads:
    the patient, the credit note (without its PDF) and the lines in printed order, and never
    the stored PDFs. Two queries for a page, whatever its size."""
    return (
        Invoice.objects.without_pdfs()
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("patient", "credit_note")
        .defer("credit_note__pdf")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("id")))
    )


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"value": amount, "currency": currency}


def to_resource(invoice: Invoice) -> InvoiceResource:
    currency = invoice.currency
    hospital = (invoice.snapshot or {}).get("hospital", {})
    data: dict[str, Any] = {
        "resourceType": "Invoice",
        "id": str(invoice.pk),
        "meta": meta(invoice),
        "identifier": [{"system": invoice_number_system(), "value": invoice.number}],
        "status": STATUS[invoice.status],
        "subject": {
            "reference": f"Patient/{invoice.patient_id}",
            "display": invoice.patient.full_name,
        },
        "date": invoice.issued_at.isoformat(),
        "issuer": {"display": hospital["name"]} if hospital.get("name") else None,
        # Every line of an issued invoice was issued: voiding or crediting it frees its lines
        # (is_active false) but they stay what the invoice billed, as its stored PDF shows.
        "lineItem": [_line(n, line, currency) for n, line in enumerate(invoice.lines.all(), 1)],
        "totalPriceComponent": _totals(invoice),
        "totalNet": _money(invoice.subtotal, currency),
        "totalGross": _money(invoice.total, currency),
        "paymentTerms": _terms(invoice, hospital.get("payment_terms", "")),
    }
    reason = _cancelled_reason(invoice)
    if reason:
        data["cancelledReason"] = reason
        data["note"] = [{"text": reason, "time": _cancelled_at(invoice).isoformat()}]
    return InvoiceResource.model_validate(present(data))


def _line(sequence: int, line: InvoiceLine, currency: str) -> dict[str, Any]:
    """One printed line: its description, and its amount as the base price component, the
    quantity as its factor (amount = quantity × unit price, rounded to cents when billed);
    the unit price as an informational component, as the PDF's column."""
    return {
        "sequence": sequence,
        "chargeItemCodeableConcept": {
            "coding": [
                {
                    "system": invoice_line_kind_system(),
                    "code": line.kind,
                    "display": line.get_kind_display(),
                }
            ],
            "text": line.description,
        },
        "priceComponent": [
            {"type": "base", "factor": line.quantity, "amount": _money(line.amount, currency)},
            {
                "type": "informational",
                "code": {"text": "unit price"},
                "amount": _money(line.unit_price, currency),
            },
        ],
    }


def _totals(invoice: Invoice) -> list[dict[str, Any]]:
    """The subtotal, and the tax at the rate frozen at issue (when the invoice has any)."""
    components = [{"type": "base", "amount": _money(invoice.subtotal, invoice.currency)}]
    if invoice.tax or invoice.tax_rate:
        components.append(
            {
                "type": "tax",
                "factor": invoice.tax_rate,
                "amount": _money(invoice.tax, invoice.currency),
            }
        )
    return components


def _terms(invoice: Invoice, terms: str) -> str:
    due = f"Due date: {invoice.due_date.isoformat()}." if invoice.due_date else ""
    return "\n\n".join(part for part in (terms.strip(), due) if part)


def _credit_note(invoice: Invoice) -> Any:
    """The credit note of a credited invoice (joined by `invoices()`), else None."""
    if invoice.status != InvoiceStatus.CREDITED:
        return None
    return getattr(invoice, "credit_note", None)


def _cancelled_reason(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.VOID:
        return f"Void: {invoice.void_reason}"
    note = _credit_note(invoice)
    if note is not None:
        return f"Credited in full by credit note {note.number}: {note.reason}"
    return ""


def _cancelled_at(invoice: Invoice) -> datetime.datetime:
    note = _credit_note(invoice)
    return note.issued_at if note is not None else invoice.voided_at or invoice.updated_at


# --- search -----------------------------------------------------------------------------------


def _patient(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(
            any_of(
                value,
                lambda one: Q(patient_id=reference_id(one, target="Patient", param="patient")),
            )
        )


def _identifier(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if not (token.code and token.in_system(invoice_number_system())):
            return Q(pk__in=[])
        return Q(number=token.code.upper())  # numbers are upper case: the unique index

    for value in values:
        plan.where(any_of(value, match))


def _status(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in STATUS_SEARCH or not token.in_system(STATUS_SYSTEM):
            raise BadRequest(
                f"status: '{value[:40]}' is none of {', '.join(STATUS_SEARCH)} "
                f"(system {STATUS_SYSTEM})."
            )
        return Q(status__in=STATUS_SEARCH[token.code])

    for value in values:
        plan.where(any_of(value, match))


def _date(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda one: moment_condition("issued_at", one, param="date")))


def _patient_ids(rows: Sequence[Invoice]) -> list[int]:
    return [invoice.patient_id for invoice in rows]


def _for_patient(patient: Patient) -> QuerySet[Invoice]:
    return invoices().filter(patient=patient).order_by("pk")


TYPE = ResourceType(
    name="Invoice",
    documentation=(
        "An issued invoice with the figures its PDF prints: lines (description, quantity, "
        "unit price, amount), subtotal, tax, total, in the invoice's currency; status issued, "
        "balanced (paid) or cancelled (void or credited, with the reason). Drafts are not "
        "served. Front desk, billing clerks and administrators; every read is audited."
    ),
    allows=lambda user: access.has_need(user, access.Need.VIEW_INVOICES),
    refusal="Your role may not read invoices.",
    start=lambda: Plan(base=invoices()),
    get=lambda pk: invoices().filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=_patient_ids,
    for_patient=_for_patient,
    params=(
        SearchParam(
            "patient",
            "reference",
            "The patient billed: Patient/<id> or the id.",
            _patient,
        ),
        SearchParam(
            "identifier",
            "token",
            "The invoice number, exactly (INV-2026-000042; system: the hospital's "
            "invoice-number system, or none).",
            _identifier,
        ),
        SearchParam(
            "status",
            "token",
            "issued (open), balanced (paid in full) or cancelled (void or credited).",
            _status,
        ),
        SearchParam(
            "date",
            "date",
            "When it was issued: YYYY, YYYY-MM, YYYY-MM-DD (days in the hospital's time zone) "
            "or a dateTime, with a prefix eq (default), ge, le, gt or lt.",
            _date,
        ),
    ),
)
