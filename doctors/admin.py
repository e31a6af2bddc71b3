from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Count, Model
from django.http import HttpRequest

from doctors import services
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours
from hms.admin import ServiceInline, ServiceModelAdmin, form_changes, form_values


@admin.register(Specialty)
class SpecialtyAdmin(ServiceModelAdmin):
    list_display = ("name", "doctor_count")
    search_fields = ("name",)
    fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(doctor_count=Count("doctors"))

    @admin.display(description="doctors", ordering="doctor_count")
    def doctor_count(self, specialty: Specialty) -> int:
        return specialty.doctor_count

    def create_via_service(self, request, form):
        return services.specialty_save(name=form.cleaned_data["name"], saved_by=request.user)

    def update_via_service(self, request, obj, form):
        return services.specialty_save(
            specialty=obj, name=form.cleaned_data["name"], saved_by=request.user
        )

    def delete_via_service(self, request, obj):
        services.specialty_delete(specialty=obj, deleted_by=request.user)


@dataclass(frozen=True)
class _ScheduleRows:
    """The services that write one kind of row of a doctor's schedule (hours or time off),
    and the keyword their update and delete services take the row by."""

    fields: tuple[str, ...]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    keyword: str

    def create_row(self, request: HttpRequest, doctor: Doctor, data: Mapping[str, Any]) -> Any:
        return self.create(doctor=doctor, created_by=request.user, **data)

    def update_row(self, request: HttpRequest, obj: Model, data: Mapping[str, Any]) -> Any:
        return self.update(**{self.keyword: obj}, data=data, updated_by=request.user)

    def delete_row(self, request: HttpRequest, obj: Model) -> None:
        self.delete(**{self.keyword: obj}, deleted_by=request.user)


_HOURS = _ScheduleRows(
    fields=services.WORKING_HOURS_FIELDS,
    create=services.working_hours_create,
    update=services.working_hours_update,
    delete=services.working_hours_delete,
    keyword="working_hours",
)
_TIME_OFF = _ScheduleRows(
    fields=services.TIME_OFF_FIELDS,
    create=services.time_off_create,
    update=services.time_off_update,
    delete=services.time_off_delete,
    keyword="time_off",
)


class _ScheduleInline(ServiceInline, admin.TabularInline):
    """A doctor's schedule rows under the doctor, written by the `rows` services."""

    rows: _ScheduleRows
    extra = 0

    def create_via_service(self, request, parent, data):
        return self.rows.create_row(request, parent, data)

    def update_via_service(self, request, obj, data):
        return self.rows.update_row(request, obj, data)

    def delete_via_service(self, request, obj):
        self.rows.delete_row(request, obj)


class WorkingHoursInline(_ScheduleInline):
    model = WorkingHours
    rows = _HOURS
    fields = service_fields = _HOURS.fields


class TimeOffInline(_ScheduleInline):
    model = TimeOff
    rows = _TIME_OFF
    fields = service_fields = _TIME_OFF.fields


@admin.register(Doctor)
class DoctorAdmin(ServiceModelAdmin):
    """Doctors are deactivated, never deleted: their appointments point at them."""

    list_display = (
        "code",
        "last_name",
        "first_name",
        "specialty",
        "consultation_fee",
        "user",
        "is_active",
    )
    list_display_links = ("code", "last_name")
    list_select_related = ("specialty", "user")
    list_filter = ("is_active", "specialty")
    search_fields = ("code", "last_name", "first_name", "email", "phone")
    autocomplete_fields = ("user", "specialty")
    readonly_fields = ("created_at", "updated_at")
    fields = (
        "code",
        "first_name",
        "last_name",
        "specialty",
        "consultation_fee",
        "email",
        "phone",
        "user",
        "is_active",
        "created_at",
        "updated_at",
    )
    inlines = (WorkingHoursInline, TimeOffInline)
    actions = ("deactivate", "reactivate")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "code") if obj is not None else fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "code":
            field.required = False
            field.help_text = "Leave empty to assign the next D number."
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def create_via_service(self, request, form):
        return services.doctor_create(
            data=form_values(form, ("code", *services.DOCTOR_FIELDS)), created_by=request.user
        )

    def update_via_service(self, request, obj, form):
        return services.doctor_update(
            doctor=obj, data=form_changes(form, services.DOCTOR_FIELDS), updated_by=request.user
        )

    @admin.action(description="Deactivate selected doctors (no new bookings)")
    def deactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=True),
            lambda d: services.doctor_update(
                doctor=d, data={"is_active": False}, updated_by=request.user
            ),
            "doctor(s) deactivated",
        )

    @admin.action(description="Reactivate selected doctors")
    def reactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=False),
            lambda d: services.doctor_update(
                doctor=d, data={"is_active": True}, updated_by=request.user
            ),
            "doctor(s) reactivated",
        )


class _ScheduleAdmin(ServiceModelAdmin):
    """A doctor's schedule rows on their own, written by the `rows` services; the doctor is
    chosen when a row is added and fixed afterwards."""

    rows: _ScheduleRows
    list_select_related = ("doctor",)
    autocomplete_fields = ("doctor",)

    def get_readonly_fields(self, request, obj=None):
        return ("doctor",) if obj is not None else ()

    def create_via_service(self, request, form):
        return self.rows.create_row(
            request, form.cleaned_data["doctor"], form_values(form, self.rows.fields)
        )

    def update_via_service(self, request, obj, form):
        return self.rows.update_row(request, obj, form_changes(form, self.rows.fields))

    def delete_via_service(self, request, obj):
        self.rows.delete_row(request, obj)


@admin.register(WorkingHours)
class WorkingHoursAdmin(_ScheduleAdmin):
    rows = _HOURS
    list_display = fields = ("doctor", *_HOURS.fields)
    list_filter = ("weekday",)
    search_fields = ("doctor__code", "doctor__last_name", "doctor__first_name")


@admin.register(TimeOff)
class TimeOffAdmin(_ScheduleAdmin):
    rows = _TIME_OFF
    list_display = fields = ("doctor", *_TIME_OFF.fields)
    search_fields = ("doctor__code", "doctor__last_name", "doctor__first_name", "reason")
    date_hierarchy = "start"
