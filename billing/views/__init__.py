"""Billing pages: ready to bill, invoices (draft review, issue, payments, void, PDFs, print),
price lists and settings. Each view: `get_billing_for_user` first, then a form, one service call,
a message and a redirect."""

from billing.views.documents import invoice_batch_pdf, invoice_pdf, invoice_print
from billing.views.invoices import (
    invoice_detail,
    invoice_draft_delete,
    invoice_draft_refresh,
    invoice_draft_update,
    invoice_issue,
    invoice_line_create,
    invoice_line_delete,
    invoice_list,
    invoice_void,
    payment_create,
)
from billing.views.prices import (
    medicationcost_create,
    medicationcost_update,
    price_list,
    procedurefee_create,
    procedurefee_update,
    settings_edit,
)
from billing.views.ready import invoice_draft_create, patient_billable, ready_to_bill

__all__ = [
    "invoice_batch_pdf",
    "invoice_detail",
    "invoice_draft_create",
    "invoice_draft_delete",
    "invoice_draft_refresh",
    "invoice_draft_update",
    "invoice_issue",
    "invoice_line_create",
    "invoice_line_delete",
    "invoice_list",
    "invoice_pdf",
    "invoice_print",
    "invoice_void",
    "medicationcost_create",
    "medicationcost_update",
    "patient_billable",
    "payment_create",
    "price_list",
    "procedurefee_create",
    "procedurefee_update",
    "ready_to_bill",
    "settings_edit",
]
