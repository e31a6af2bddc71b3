"""Admin site settings, the shared admin base classes, and the audit-log admin.

Admin writes go through the same services as the UI: `ServiceModelAdmin` routes add, change
and delete (and `ServiceInline` the rows of its inlines) to service hooks, and shows a service's
`ValidationError` on the form instead of a server error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from core import audit
from core.forms import add_service_error, form_changes
from core.models import AuditEvent

admin.site.site_header = "Hospital management — administration"
admin.site.site_title = "HMS admin"
admin.site.index_title = "Administration"

_SERVICE_ERROR = "_hms_admin_service_error"


def adopt(target: models.Model, source: models.Model) -> None:
    """Make the admin's in-memory `target` the row a service saved as `source`."""
    if target is source:
        return
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def form_values(form: forms.BaseForm, fields: tuple[str, ...]) -> dict[str, Any]:
    """The cleaned values of `fields` that the form has."""
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


class ServiceInline:
    """An inline whose rows are written by services: subclasses implement the three hooks."""

    service_fields: tuple[str, ...] = ()

    def create_via_service(self, request: HttpRequest, parent: models.Model, data: dict) -> Any:
        raise NotImplementedError

    def update_via_service(self, request: HttpRequest, obj: models.Model, data: dict) -> Any:
        raise NotImplementedError

    def delete_via_service(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete box, which shows a posted value that is no record id (`abc`, a
    number past bigint) as nothing chosen instead of failing the page with a ValueError."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        fitting = []
        for item in value:
            try:
                prepared = target.to_python(item)
            except ValidationError:
                continue
            if isinstance(prepared, int) and not -(2**63) <= prepared < 2**63:
                continue
            fitting.append(item)
        return super().optgroups(name, fitting, attr)


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes call services (implement the hooks a model allows).

    A `ValidationError` from a service rolls the whole save back and the form comes back
    with the error on it: the view is run a second time with the error attached to the form.
    Bulk deletion is switched off so that every delete goes through `delete_via_service`.
    """

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Any:
        raise NotImplementedError

    def update_via_service(
        self, request: HttpRequest, obj: models.Model, form: forms.ModelForm
    ) -> Any:
        raise NotImplementedError

    def delete_via_service(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- writes --------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        with audit.request_context(request):
            if change:
                saved = self.update_via_service(request, obj, form) if form.changed_data else obj
            else:
                saved = self.create_via_service(request, form)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        with audit.request_context(request):
            self.delete_via_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                i
                for i in self.get_inline_instances(request, form.instance)
                if i.model is formset.model and isinstance(i, ServiceInline)
            ),
            None,
        )
        if inline is None:
            # Read-only inlines: nothing was editable, so nothing is saved.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        self._save_inline_via_services(request, form.instance, formset, inline)

    @staticmethod
    def _save_inline_via_services(request, parent, formset, inline: ServiceInline) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = set(formset.deleted_forms)
        with audit.request_context(request):
            for row in formset.initial_forms:
                obj = row.instance
                if obj.pk is None:
                    continue
                if row in deleted:
                    inline.delete_via_service(request, obj)
                    formset.deleted_objects.append(obj)
                elif row.has_changed():
                    data = form_changes(row, inline.service_fields)
                    adopt(obj, inline.update_via_service(request, obj, data))
                    formset.changed_objects.append((obj, row.changed_data))
            for row in formset.extra_forms:
                if not row.has_changed() or row in deleted:
                    continue
                data = form_values(row, inline.service_fields)
                obj = row.instance
                adopt(obj, inline.create_via_service(request, parent, data))
                formset.new_objects.append(obj)

    # --- service errors back on the form --------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, _SERVICE_ERROR):
                raise
            # The transaction of the failed save is rolled back; validate again, this time
            # with the service's verdict on the form, so the page shows it.
            setattr(request, _SERVICE_ERROR, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, _SERVICE_ERROR, None)
        if error is None:
            return form_class

        class ServiceErrorForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_service_error(self, error)
                return cleaned_data

        return ServiceErrorForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def run_service_action(self, request, queryset, service, done: str) -> None:
        """Run `service(obj)` for each selected object; report successes and refusals."""
        count = 0
        with audit.request_context(request):
            for obj in queryset:
                try:
                    service(obj)
                except ValidationError as error:
                    self.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
                else:
                    count += 1
        if count:
            self.message_user(request, f"{count} {done}.", messages.SUCCESS)


class ReadOnlyAdminMixin:
    """Viewable, never written through the admin (history, or made by a workflow)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    """An inline that shows its rows under the parent and never writes them (a workflow does)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditedViewMixin:
    """Record who opened a list or a record of clinical content ("all, logged"): one audit row
    per page view naming the patients shown (`core.audit.audit_view`), one INSERT however long
    the list. `audit_patient_id` says whose record a row is; override it for a model that
    reaches its patient through another row (and select that row with the list), and set
    `audit_list = False` where only the records, not the list, show clinical content."""

    audit_list = True

    def audit_patient_id(self, obj: models.Model) -> int | None:
        return getattr(obj, "patient_id", None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                audit.audit_view(
                    actor=request.user,
                    patient_ids=[self.audit_patient_id(obj)],
                    obj=obj,
                    request=request,
                )
        return response

    def history_view(self, request, object_id, extra_context=None):
        # The page names the record (its description, for a history entry).
        response = super().history_view(request, object_id, extra_context)
        obj = response.context_data.get("object") if response.status_code == 200 else None
        if obj is not None:
            audit.audit_view(
                actor=request.user,
                patient_ids=[self.audit_patient_id(obj)],
                obj=obj,
                changes={"page": "history"},
                request=request,
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if self.audit_list and response.status_code == 200 and changelist is not None:
            rows = changelist.result_list
            audit.audit_view(
                actor=request.user,
                patient_ids=[self.audit_patient_id(obj) for obj in rows],
                shown=self.model,
                changes={"rows": len(rows)},
                request=request,
            )
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: read-only for everyone (the database refuses UPDATE and DELETE too)."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "object_type",
        "object_repr",
        "patient_id",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_username", "object_repr", "=object_id", "path")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_username",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "patient_id",
        "changes_pretty",
        "ip_address",
        "path",
        "chain_seq",
        "prev_hash",
        "row_hash",
    )
    readonly_fields = fields

    @admin.display(description="changes")
    def changes_pretty(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.changes, indent=2, sort_keys=True))

    def get_actions(self, request: HttpRequest) -> Mapping[str, Any]:
        return {}
