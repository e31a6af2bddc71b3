from django.contrib import admin
from django.db.models import Count

from core.admin import ServiceInline, ServiceModelAdmin, form_values
from core.forms import form_changes
from doctors import services
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours


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
        return services.specialty_save(name=form.cleaned_data["name"], by=request.user)

    def update_via_service(self, request, obj, form):
        return services.specialty_save(
            specialty=obj, name=form.cleaned_data["name"], by=request.user
        )

    def delete_via_service(self, request, obj):
        services.specialty_delete(specialty=obj, by=request.user)


class WorkingHoursInline(ServiceInline, admin.TabularInline):
    model = WorkingHours
    extra = 0
    fields = services.WORKING_HOURS_FIELDS
    service_fields = services.WORKING_HOURS_FIELDS

    def create_via_service(self, request, parent, data):
        return services.working_hours_create(doctor=parent, by=request.user, **data)

    def update_via_service(self, request, obj, data):
        return services.working_hours_update(working_hours=obj, data=data, by=request.user)

    def delete_via_service(self, request, obj):
        services.working_hours_delete(working_hours=obj, by=request.user)


class TimeOffInline(ServiceInline, admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = services.TIME_OFF_FIELDS
    service_fields = services.TIME_OFF_FIELDS

    def create_via_service(self, request, parent, data):
        return services.time_off_create(doctor=parent, by=request.user, **data)

    def update_via_service(self, request, obj, data):
        return services.time_off_update(time_off=obj, data=data, by=request.user)

    def delete_via_service(self, request, obj):
        services.time_off_delete(time_off=obj, by=request.user)


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
            data=form_values(form, ("code", *services.DOCTOR_FIELDS)), by=request.user
        )

    def update_via_service(self, request, obj, form):
        return services.doctor_update(
            doctor=obj, data=form_changes(form, services.DOCTOR_FIELDS), by=request.user
        )

    @admin.action(description="Deactivate selected doctors (no new bookings)")
    def deactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=True),
            lambda d: services.doctor_update(doctor=d, data={"is_active": False}, by=request.user),
            "doctor(s) deactivated",
        )

    @admin.action(description="Reactivate selected doctors")
    def reactivate(self, request, queryset):
        self.run_service_action(
            request,
            queryset.filter(is_active=False),
            lambda d: services.doctor_update(doctor=d, data={"is_active": True}, by=request.user),
            "doctor(s) reactivated",
        )


@admin.register(WorkingHours)
class WorkingHoursAdmin(ServiceModelAdmin):
    list_display = fields = ("doctor", *services.WORKING_HOURS_FIELDS)
    list_select_related = ("doctor",)
    list_filter = ("weekday",)
    search_fields = ("doctor__code", "doctor__last_name", "doctor__first_name")
    autocomplete_fields = ("doctor",)

    def get_readonly_fields(self, request, obj=None):
        return ("doctor",) if obj is not None else ()

    def create_via_service(self, request, form):
        return services.working_hours_create(
            doctor=form.cleaned_data["doctor"],
            by=request.user,
            **form_values(form, services.WORKING_HOURS_FIELDS),
        )

    def update_via_service(self, request, obj, form):
        return services.working_hours_update(
            working_hours=obj,
            data=form_changes(form, services.WORKING_HOURS_FIELDS),
            by=request.user,
        )

    def delete_via_service(self, request, obj):
        services.working_hours_delete(working_hours=obj, by=request.user)


@admin.register(TimeOff)
class TimeOffAdmin(ServiceModelAdmin):
    list_display = fields = ("doctor", *services.TIME_OFF_FIELDS)
    list_select_related = ("doctor",)
    search_fields = ("doctor__code", "doctor__last_name", "doctor__first_name", "reason")
    autocomplete_fields = ("doctor",)
    date_hierarchy = "start"

    def get_readonly_fields(self, request, obj=None):
        return ("doctor",) if obj is not None else ()

    def create_via_service(self, request, form):
        return services.time_off_create(
            doctor=form.cleaned_data["doctor"],
            by=request.user,
            **form_values(form, services.TIME_OFF_FIELDS),
        )

    def update_via_service(self, request, obj, form):
        return services.time_off_update(
            time_off=obj,
            data=form_changes(form, services.TIME_OFF_FIELDS),
            by=request.user,
        )

    def delete_via_service(self, request, obj):
        services.time_off_delete(time_off=obj, by=request.user)
