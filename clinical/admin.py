"""Admin pages for the clinical records this app adds. Both are read-only here: revisions are
written by the database when an entry is corrected, visit items by the visit page."""

from django.contrib import admin

from clinical.models import VisitItem
from core.admin import AuditedViewMixin, ReadOnlyAdminMixin
from patients.models import MedicalHistoryRevision


@admin.register(MedicalHistoryRevision)
class MedicalHistoryRevisionAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Earlier versions of corrected history entries (append-only in the database)."""

    list_display = ("entry", "version", "patient", "kind", "description", "superseded_at")
    list_select_related = ("entry", "patient")
    list_filter = ("kind",)
    search_fields = ("patient__mrn", "description", "=entry__id")
    date_hierarchy = "superseded_at"
    show_full_result_count = False


@admin.register(VisitItem)
class VisitItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Medications and procedures noted during visits still in progress."""

    list_display = ("attendance", "kind", "description", "quantity", "created_at")
    list_select_related = ("attendance__appointment", "attendance__patient")
    list_filter = ("kind",)
    search_fields = ("description", "attendance__patient__mrn")
