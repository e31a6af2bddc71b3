from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from imports.models import WorkbookUpload


@admin.register(WorkbookUpload)
class WorkbookUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Uploads are made, confirmed and discarded on the import page; the admin only reads."""

    list_display = ("created_at", "original_name", "uploaded_by", "status", "imported_at")
    list_filter = ("status",)
    search_fields = ("original_name", "sha256")
    list_select_related = ("uploaded_by",)
