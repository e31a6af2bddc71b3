"""Writes on billing: price lists and settings, invoices, payments (DESIGN.md's contract
names are re-exported here: `billing.services.invoice_draft_for_patient` and the rest)."""

from billing.services.invoices import (
    INVOICE_DRAFT_FIELDS,
    DraftExists,
    constraint_name,
    invoice_draft_delete,
    invoice_draft_for_patient,
    invoice_draft_refresh,
    invoice_draft_update,
    invoice_line_add,
    invoice_line_remove,
)
from billing.services.issue import (
    DraftChanged,
    IssueTerms,
    invoice_issue,
    invoice_issue_terms,
    invoice_pdf_store,
    invoice_render_pdf,
    invoice_void,
)
from billing.services.money import (
    MoneyRefused,
    account_apply,
    account_balance,
    account_refund,
    credit_note_issue,
    deposit_take,
)
from billing.services.payments import payment_record
from billing.services.prices import (
    BILLING_SETTINGS_FIELDS,
    MEDICATION_COST_FIELDS,
    PROCEDURE_FEE_FIELDS,
    billing_settings_update,
    medication_cost_save,
    procedure_fee_save,
)

__all__ = [
    "BILLING_SETTINGS_FIELDS",
    "INVOICE_DRAFT_FIELDS",
    "MEDICATION_COST_FIELDS",
    "PROCEDURE_FEE_FIELDS",
    "DraftChanged",
    "DraftExists",
    "IssueTerms",
    "MoneyRefused",
    "account_apply",
    "account_balance",
    "account_refund",
    "credit_note_issue",
    "deposit_take",
    "billing_settings_update",
    "constraint_name",
    "invoice_draft_delete",
    "invoice_draft_for_patient",
    "invoice_draft_refresh",
    "invoice_draft_update",
    "invoice_issue",
    "invoice_issue_terms",
    "invoice_line_add",
    "invoice_line_remove",
    "invoice_pdf_store",
    "invoice_render_pdf",
    "invoice_void",
    "medication_cost_save",
    "payment_record",
    "procedure_fee_save",
]
