"""Writes on price lists, billing settings and invoices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import BillingSettings, Invoice, InvoiceStatus, MedicationCost, ProcedureFee
from hms import audit

MEDICATION_COST_FIELDS = ("name", "unit_cost", "is_active")
PROCEDURE_FEE_FIELDS = ("name", "fee", "is_active")
BILLING_SETTINGS_FIELDS = (
    "hospital_name",
    "hospital_address",
    "tax_id",
    "currency",
    "default_surgery_fee",
    "minimum_charge",
    "tax_rate",
    "payment_terms_days",
    "payment_terms",
)
INVOICE_DRAFT_FIELDS = ("due_date",)


def _save_fields(*, obj: Any, data: Mapping[str, Any], fields: tuple[str, ...], actor: Any) -> Any:
    """Apply `data` to `obj`, validate, save and audit what changed (nothing: no write)."""
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"Unknown {obj._meta.verbose_name} fields: {', '.join(sorted(unknown))}")
    adding = obj._state.adding
    before = {} if adding else audit.snapshot(obj, fields)
    for name, value in data.items():
        if isinstance(value, str) and name == "name":
            value = value.strip()
        setattr(obj, name, value)
    obj.full_clean()
    changes = audit.diff(before, audit.snapshot(obj, fields))
    if adding or changes:
        obj.save()
        action = audit.Action.CREATE if adding else audit.Action.UPDATE
        audit.audit_record(actor=actor, action=action, obj=obj, changes=changes)
    return obj


@transaction.atomic
def medication_cost_save(
    *, data: Mapping[str, Any], saved_by: Any, medication: MedicationCost | None = None
) -> MedicationCost:
    """Add a medication to the price list, or change `medication` when given.

    Price changes apply to invoices drafted from now on; issued invoices keep their prices.
    """
    if medication is not None and medication.pk is not None:
        medication = MedicationCost.objects.select_for_update().get(pk=medication.pk)
    return _save_fields(
        obj=medication or MedicationCost(),
        data=data,
        fields=MEDICATION_COST_FIELDS,
        actor=saved_by,
    )


@transaction.atomic
def procedure_fee_save(
    *, data: Mapping[str, Any], saved_by: Any, procedure: ProcedureFee | None = None
) -> ProcedureFee:
    """Add a surgery or procedure price, or change `procedure` when given."""
    if procedure is not None and procedure.pk is not None:
        procedure = ProcedureFee.objects.select_for_update().get(pk=procedure.pk)
    return _save_fields(
        obj=procedure or ProcedureFee(), data=data, fields=PROCEDURE_FEE_FIELDS, actor=saved_by
    )


@transaction.atomic
def billing_settings_update(*, data: Mapping[str, Any], updated_by: Any) -> BillingSettings:
    """Change the hospital's billing settings (the one row, created on first use)."""
    BillingSettings.load()
    settings_row = BillingSettings.objects.select_for_update().get(pk=1)
    return _save_fields(
        obj=settings_row, data=data, fields=BILLING_SETTINGS_FIELDS, actor=updated_by
    )


def _locked_draft(invoice: Invoice, doing: str) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}; only a draft can be "
            f"{doing}."
        )
    return invoice


@transaction.atomic
def invoice_draft_update(*, invoice: Invoice, data: Mapping[str, Any], updated_by: Any) -> Invoice:
    """Change the editable details (the due date) of a draft invoice."""
    invoice = _locked_draft(invoice, "changed")
    return _save_fields(obj=invoice, data=data, fields=INVOICE_DRAFT_FIELDS, actor=updated_by)


@transaction.atomic
def invoice_draft_delete(*, invoice: Invoice, deleted_by: Any) -> None:
    """Throw away a draft invoice; its lines go with it and its items become unbilled again."""
    invoice = _locked_draft(invoice, "deleted")
    audit.audit_record(
        actor=deleted_by,
        action=audit.Action.DELETE,
        obj=invoice,
        changes=audit.snapshot(invoice, ("patient", "subtotal", "tax", "total")),
    )
    invoice.delete()
