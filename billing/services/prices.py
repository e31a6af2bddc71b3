"""Writes on the price lists and the billing settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from billing.models import BillingSettings, MedicationCost, ProcedureFee
from billing.services._fields import save_fields

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


@transaction.atomic
def medication_cost_save(
    *, data: Mapping[str, Any], by: Any, medication: MedicationCost | None = None
) -> MedicationCost:
    """Add a medication to the price list, or change `medication` when given.

    Price changes apply to invoices drafted from now on; issued invoices keep their prices.
    """
    if medication is not None and medication.pk is not None:
        medication = MedicationCost.objects.select_for_update().get(pk=medication.pk)
    return save_fields(
        obj=medication or MedicationCost(),
        data=data,
        fields=MEDICATION_COST_FIELDS,
        by=by,
    )


@transaction.atomic
def procedure_fee_save(
    *, data: Mapping[str, Any], by: Any, procedure: ProcedureFee | None = None
) -> ProcedureFee:
    """Add a surgery or procedure price, or change `procedure` when given."""
    if procedure is not None and procedure.pk is not None:
        procedure = ProcedureFee.objects.select_for_update().get(pk=procedure.pk)
    return save_fields(
        obj=procedure or ProcedureFee(), data=data, fields=PROCEDURE_FEE_FIELDS, by=by
    )


@transaction.atomic
def billing_settings_update(*, data: Mapping[str, Any], by: Any) -> BillingSettings:
    """Change the hospital's billing settings (the one row, created on first use)."""
    BillingSettings.load()
    settings_row = BillingSettings.objects.select_for_update().get(pk=1)
    return save_fields(obj=settings_row, data=data, fields=BILLING_SETTINGS_FIELDS, by=by)
