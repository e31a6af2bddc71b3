from django.contrib import admin

from billing import services
from billing.models import (
    AccountEntry,
    BillingSettings,
    CashierDayClose,
    CreditNote,
    CreditNoteNumberCounter,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoiceStatus,
    MedicationCost,
    Payment,
    ProcedureFee,
    Refund,
)
from core.admin import (
    AuditedViewMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ServiceModelAdmin,
    form_values,
)
from core.forms import form_changes


class _PriceListAdmin(ServiceModelAdmin):
    """A price list. Its rows are named in patients' history and on invoices, so they are
    never deleted: mark them inactive instead. Adding and changing call one save service."""

    list_filter = ("is_active",)
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_via_service(self, request, obj, data):
        """Save `data` on `obj` (None: a new row) with the list's service."""
        raise NotImplementedError

    def create_via_service(self, request, form):
        return self.save_via_service(request, None, form_values(form, self.fields))

    def update_via_service(self, request, obj, form):
        return self.save_via_service(request, obj, form_changes(form, self.fields))


@admin.register(MedicationCost)
class MedicationCostAdmin(_PriceListAdmin):
    list_display = ("name", "unit_cost", "is_active", "updated_at")
    fields = services.MEDICATION_COST_FIELDS

    def save_via_service(self, request, obj, data):
        return services.medication_cost_save(medication=obj, data=data, by=request.user)


@admin.register(ProcedureFee)
class ProcedureFeeAdmin(_PriceListAdmin):
    list_display = ("name", "fee", "is_active", "updated_at")
    fields = services.PROCEDURE_FEE_FIELDS

    def save_via_service(self, request, obj, data):
        return services.procedure_fee_save(procedure=obj, data=data, by=request.user)


@admin.register(BillingSettings)
class BillingSettingsAdmin(ServiceModelAdmin):
    """The one row of billing settings: added once, never deleted."""

    list_display = ("hospital_name", "currency", "tax_rate", "minimum_charge", "updated_at")
    fields = services.BILLING_SETTINGS_FIELDS

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not BillingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def create_via_service(self, request, form):
        return services.billing_settings_update(
            data=form_values(form, services.BILLING_SETTINGS_FIELDS), by=request.user
        )

    def update_via_service(self, request, obj, form):
        return services.billing_settings_update(
            data=form_changes(form, services.BILLING_SETTINGS_FIELDS), by=request.user
        )


class InvoiceLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = InvoiceLine
    fields = ("kind", "description", "quantity", "unit_price", "amount", "source_key", "is_active")


class PaymentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Payment
    fields = ("received_at", "amount", "method", "reference", "received_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("received_by")


@admin.register(Invoice)
class InvoiceAdmin(AuditedViewMixin, ServiceModelAdmin):
    """Invoices are drafted, issued, paid and voided by the billing services; here a draft's
    due date can be changed or the draft thrown away, and anything issued is read-only.
    An invoice's lines name the medications and procedures given, so its page is logged (the
    list shows totals only)."""

    audit_list = False

    list_display = (
        "__str__",
        "patient",
        "status",
        "issued_at",
        "due_date",
        "total",
        "currency",
        "created_at",
    )
    list_select_related = ("patient",)
    list_filter = ("status", "currency")
    search_fields = ("number", "patient__mrn", "patient__last_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("patient",)
    fields = (
        "number",
        "patient",
        "status",
        "due_date",
        "subtotal",
        "tax",
        "total",
        "currency",
        "issued_at",
        "issued_by",
        "created_by",
        "pdf_sha256",
        "void_reason",
        "voided_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = tuple(f for f in fields if f not in services.INVOICE_DRAFT_FIELDS)
    inlines = (InvoiceLineInline, PaymentInline)

    def get_queryset(self, request):
        # The stored PDFs stay in the database: the pages never show their bytes.
        return super().get_queryset(request).defer("pdf", "void_pdf")

    def has_add_permission(self, request):
        # A draft is made by invoice_draft_for_patient, which prices every unbilled item.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A draft's lines go with it in invoice_draft_delete; they need no permission of their
        # own (and lines of an issued invoice are never reached: it cannot be deleted).
        perms_needed.discard(InvoiceLine._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def update_via_service(self, request, obj, form):
        return services.invoice_draft_update(
            invoice=obj,
            data=form_changes(form, services.INVOICE_DRAFT_FIELDS),
            by=request.user,
        )

    def delete_via_service(self, request, obj):
        services.invoice_draft_delete(invoice=obj, by=request.user)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invoice lines name the medications and procedures a patient was given: logged."""

    list_display = (
        "invoice",
        "kind",
        "description",
        "quantity",
        "unit_price",
        "amount",
        "is_active",
    )
    list_select_related = ("invoice",)
    list_filter = ("kind", "is_active")
    search_fields = ("invoice__number", "description", "=source_key")

    def audit_patient_id(self, obj: InvoiceLine) -> int:
        return obj.invoice.patient_id


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payments are recorded with payment_record (never more than the balance)."""

    list_display = ("received_at", "invoice", "amount", "method", "reference", "received_by")
    list_select_related = ("invoice", "received_by")
    list_filter = ("method",)
    search_fields = ("invoice__number", "reference")
    date_hierarchy = "received_at"


@admin.register(InvoiceNumberCounter)
class InvoiceNumberCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The last number given out per year; only issuing moves it (gapless numbering)."""

    list_display = ("year", "last_number", "updated_at")


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Credit notes are issued from the invoice page (credit_note_issue) and never change."""

    list_display = ("number", "invoice", "patient", "total", "reason", "issued_at", "issued_by")
    list_select_related = ("invoice", "patient", "issued_by")
    search_fields = ("=number", "invoice__number", "patient__mrn")
    date_hierarchy = "issued_at"
    exclude = ("pdf",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("refunded_at", "patient", "invoice", "amount", "method", "reference")
    list_select_related = ("patient", "invoice")
    list_filter = ("method",)
    search_fields = ("patient__mrn", "invoice__number", "reference")
    date_hierarchy = "refunded_at"


@admin.register(AccountEntry)
class AccountEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "patient", "kind", "amount", "method", "reference")
    list_select_related = ("patient",)
    list_filter = ("kind", "method")
    search_fields = ("patient__mrn", "reference")
    date_hierarchy = "received_at"


@admin.register(CashierDayClose)
class CashierDayCloseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "cashier", "expected_cash", "counted_cash", "closed_at", "closed_by")
    list_select_related = ("cashier", "closed_by")
    date_hierarchy = "day"
    exclude = ("pdf",)


@admin.register(CreditNoteNumberCounter)
class CreditNoteNumberCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The last credit note number per year; only crediting moves it (gapless numbering)."""

    list_display = ("year", "last_number", "updated_at")


@admin.register(InvoiceBatch)
class InvoiceBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "requested_by", "status", "finished_at")
    list_filter = ("status",)
    exclude = ("pdf",)
