from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, ServiceModelAdmin, form_values
from core.forms import form_changes
from patients import services
from patients.icd10 import Icd10Code
from patients.models import Patient

# Medical history entries have their admin in clinical/admin.py, beside their one writer
# (clinical.services).


@admin.register(Patient)
class PatientAdmin(ServiceModelAdmin):
    """Patients are never deleted here (appointments, history and invoices point at them):
    deactivate them instead."""

    list_display = (
        "mrn",
        "last_name",
        "first_name",
        "date_of_birth",
        "sex",
        "phone",
        "city",
        "is_active",
    )
    list_display_links = ("mrn", "last_name")
    list_filter = ("is_active", "sex", "dob_is_estimated")
    search_fields = ("mrn", "last_name", "first_name", "phone", "email")
    readonly_fields = ("is_active", "created_at", "updated_at")
    actions = ("deactivate", "reactivate")
    fieldsets = (
        (None, {"fields": ("mrn", "first_name", "last_name", "is_active")}),
        ("Birth and sex", {"fields": ("date_of_birth", "dob_is_estimated", "sex")}),
        ("Contact", {"fields": ("phone", "email", "messages_opt_out")}),
        (
            "Address",
            {
                "fields": (
                    "address_line1",
                    "address_line2",
                    "city",
                    "region",
                    "postal_code",
                    "country",
                )
            },
        ),
        (
            "Emergency contact",
            {
                "fields": (
                    "emergency_contact_name",
                    "emergency_contact_phone",
                    "emergency_contact_relationship",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        # The MRN is the patient's identifier: chosen (or assigned) once, then fixed.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "mrn") if obj is not None else fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "mrn":
            field.required = False
            field.help_text = (
                "Leave empty to assign the next P number; imported patients keep theirs."
            )
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def create_via_service(self, request, form):
        return services.patient_create(
            data=form_values(form, ("mrn", *services.PATIENT_FIELDS)), by=request.user
        )

    def update_via_service(self, request, obj, form):
        return services.patient_update(
            patient=obj,
            data=form_changes(form, services.PATIENT_FIELDS),
            by=request.user,
        )

    @admin.action(description="Deactivate selected patients (keeps their records)")
    def deactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=True),
            lambda p: services.patient_deactivate(patient=p, by=request.user),
            "patient(s) deactivated",
        )

    @admin.action(description="Reactivate selected patients")
    def reactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=False),
            lambda p: services.patient_reactivate(patient=p, by=request.user),
            "patient(s) reactivated",
        )


@admin.register(Icd10Code)
class Icd10CodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ICD-10-CM code set conditions are coded with: loaded by migrations, read only."""

    list_display = ("code", "title")
    search_fields = ("=code", "title")
    fields = ("code", "title")
    show_full_result_count = False
