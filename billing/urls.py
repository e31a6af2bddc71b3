from django.urls import path

from billing import views
from billing.views import documents, money

app_name = "billing"

urlpatterns = [
    path("", views.ready_to_bill, name="ready_to_bill"),
    path("patients/<int:patient_pk>/", views.patient_billable, name="patient_billable"),
    path(
        "patients/<int:patient_pk>/draft/",
        views.invoice_draft_create,
        name="invoice_draft_create",
    ),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/batch.pdf", views.invoice_batch_pdf, name="invoice_batch_pdf"),
    path("invoices/batches/<int:pk>/", documents.batch_detail, name="batch_detail"),
    path("invoices/batches/<int:pk>/pdf/", documents.batch_pdf, name="batch_pdf"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/print/", views.invoice_print, name="invoice_print"),
    path("invoices/<int:pk>/refresh/", views.invoice_draft_refresh, name="invoice_draft_refresh"),
    path("invoices/<int:pk>/due-date/", views.invoice_draft_update, name="invoice_draft_update"),
    path("invoices/<int:pk>/delete/", views.invoice_draft_delete, name="invoice_draft_delete"),
    path("invoices/<int:pk>/lines/", views.invoice_line_create, name="invoice_line_create"),
    path(
        "invoices/<int:pk>/lines/<int:line_pk>/delete/",
        views.invoice_line_delete,
        name="invoice_line_delete",
    ),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("invoices/<int:pk>/payments/", views.payment_create, name="payment_create"),
    path("invoices/<int:pk>/credit/", money.credit_note_create, name="credit_note_create"),
    path("invoices/<int:pk>/use-account/", money.account_apply, name="account_apply"),
    path("credit-notes/<int:pk>/pdf/", money.credit_note_pdf, name="credit_note_pdf"),
    path("patients/<int:patient_pk>/account/", money.patient_account, name="patient_account"),
    path(
        "patients/<int:patient_pk>/account/deposit/",
        money.deposit_create,
        name="deposit_create",
    ),
    path(
        "patients/<int:patient_pk>/account/refund/",
        money.account_refund_create,
        name="account_refund_create",
    ),
    path("cashier/", money.cashier_day, name="cashier_day"),
    path("cashier/close/", money.cashier_day_close, name="cashier_day_close"),
    path("cashier/closes/<int:pk>/pdf/", money.day_close_pdf, name="day_close_pdf"),
    path("prices/", views.price_list, name="price_list"),
    path("prices/medications/new/", views.medicationcost_create, name="medicationcost_create"),
    path("prices/medications/<int:pk>/", views.medicationcost_update, name="medicationcost_update"),
    path("prices/procedures/new/", views.procedurefee_create, name="procedurefee_create"),
    path("prices/procedures/<int:pk>/", views.procedurefee_update, name="procedurefee_update"),
    path("settings/", views.settings_edit, name="settings_edit"),
]
