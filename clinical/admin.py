"""Admin pages for the clinical records: history entries, which the admin adds and corrects
through the same services as the chart (clinical.services, their one writer), and two
read-only pages: revisions are written by the database when an entry is corrected, visit items
by the visit page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from clinical import note_templates, services
from clinical.models import NoteTemplate, VisitItem
from core.admin import (
    AuditedViewMixin,
    ReadOnlyAdminMixin,
    ServiceModelAdmin,
    form_values,
)
from core.forms import form_changes
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision

# What the admin may give when adding an entry, besides its patient and kind.
_ADD_FIELDS = (
    "description",
    "medication",
    "procedure",
    "quantity",
    "recorded_on",
    "ended_on",
    "attendance",
    "is_billable",
    "override_reason",
)
# Shown on an entry, never edited here: fixed once recorded, or written by the database.
_FIXED_FIELDS = (
    "attendance",
    "is_billable",
    "recorded_by",
    "legacy_id",
    "version",
    "corrected_at",
    "corrected_by",
    "correction_reason",
    "allergy_alert",
    "override_reason",
    "created_at",
    "updated_at",
)


class MedicalHistoryAdminForm(forms.ModelForm):
    class Meta:
        model = MedicalHistory
        fields = ("patient", "kind", *_ADD_FIELDS)
        help_texts = {
            "override_reason": "Only for a medication that matches one of the patient's "
            "allergies: why it is recorded anyway (kept with the entry and in the audit log)."
        }

    def _post_clean(self):
        # Only copy the values onto the instance: history_entry_create/_correct validate the
        # entry, so the admin gives the chart's messages (and the chart's rules).
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)


class MedicalHistoryCorrectionForm(MedicalHistoryAdminForm):
    """A correction asks why, as the chart does; the database keeps the version before. A
    medication corrected to a drug matching an allergy asks for the reason to go on."""

    reason = forms.CharField(
        label="Reason for the correction",
        max_length=255,
        help_text="Kept with the earlier version of the entry, and in the audit log.",
        error_messages={"required": "Say why the entry is corrected."},
    )
    # The entry's own `override_reason` is shown as it stands (read-only, _FIXED_FIELDS).
    correction_override_reason = forms.CharField(
        label="Reason to record the corrected drug despite the allergy",
        max_length=500,
        required=False,
        help_text="Only for a medication corrected to a drug that matches one of the "
        "patient's allergies (kept with the entry and in the audit log).",
    )


@admin.register(MedicalHistory)
class MedicalHistoryAdmin(AuditedViewMixin, ServiceModelAdmin):
    """History entries are added and corrected through clinical.services, never deleted: the
    database keeps every earlier version (see the revisions) and the audit log the changes."""

    form = MedicalHistoryAdminForm
    list_display = ("recorded_on", "patient", "kind", "description", "medication", "is_billable")
    list_select_related = ("patient", "medication")
    list_filter = ("kind", "is_billable")
    search_fields = ("patient__mrn", "patient__last_name", "description", "legacy_id")
    date_hierarchy = "recorded_on"
    autocomplete_fields = ("patient", "medication", "procedure", "attendance")
    raw_id_fields = ("icd10",)  # a code typed ("J45.909"): the code set has 74,000 of them

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("patient", "kind", *_ADD_FIELDS)
        # A medication corrected to another drug is checked against the allergies.
        checked = ("correction_override_reason",) if obj.kind == HistoryKind.MEDICATION else ()
        return ("patient", "kind", *services.CORRECTABLE_FIELDS, "reason", *checked, *_FIXED_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        # The patient and kind of an entry stay fixed; only its content is corrected.
        return ("patient", "kind", *_FIXED_FIELDS) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = MedicalHistoryCorrectionForm
        form_class = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            recorded_on = form_class.base_fields["recorded_on"]
            recorded_on.required = False
            recorded_on.help_text = "Leave empty for today (hospital time)."
        return form_class

    def get_changeform_initial_data(self, request):
        # As on the chart, an entry added by hand is not billable unless said so.
        return {"is_billable": False, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False

    def create_via_service(self, request, form):
        return services.history_entry_create(
            patient=form.cleaned_data["patient"],
            kind=form.cleaned_data["kind"],
            by=request.user,
            **form_values(form, _ADD_FIELDS),
        )

    def update_via_service(self, request, obj, form):
        return services.history_entry_correct(
            entry=obj,
            data=form_changes(form, services.CORRECTABLE_FIELDS),
            reason=form.cleaned_data["reason"],
            override_reason=form.cleaned_data.get("correction_override_reason", ""),
            by=request.user,
        )


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
class VisitItemAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Medications and procedures noted during visits still in progress."""

    list_display = ("attendance", "kind", "description", "quantity", "created_at")
    list_select_related = ("attendance__appointment", "attendance__patient")
    list_filter = ("kind",)
    search_fields = ("description", "attendance__patient__mrn")

    def audit_patient_id(self, obj: VisitItem) -> int:
        return obj.attendance.patient_id


@admin.register(NoteTemplate)
class NoteTemplateAdmin(ServiceModelAdmin):
    """Visit note templates per specialty (SOAP): the visit page offers them to the doctors
    of that specialty (or to everyone when no specialty is set)."""

    list_display = ("name", "specialty", "is_active", "updated_at")
    list_select_related = ("specialty",)
    list_filter = ("is_active", "specialty")
    search_fields = ("name",)
    fields = note_templates.TEMPLATE_FIELDS

    def create_via_service(self, request, form):
        return note_templates.note_template_save(
            by=request.user, **form_values(form, note_templates.TEMPLATE_FIELDS)
        )

    def update_via_service(self, request, obj, form):
        return note_templates.note_template_save(
            template=obj, by=request.user, **form_values(form, note_templates.TEMPLATE_FIELDS)
        )

    def delete_via_service(self, request, obj):
        note_templates.note_template_delete(template=obj, by=request.user)
