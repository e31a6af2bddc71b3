from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.urls import reverse
from django.utils.html import format_html

from appointments import services
from appointments.models import (
    Appointment,
    AppointmentMessage,
    AppointmentStatus,
    AppointmentStatusChange,
    Attendance,
)
from core.admin import (
    AuditedViewMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ServiceModelAdmin,
)


class AppointmentAdminForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ("patient", "doctor", "start", "end", "reason")

    def _post_clean(self):
        # Only copy the values onto the instance: the model's own validation (end after
        # start, the overlap constraints) is run by appointment_book/appointment_reschedule,
        # whose messages say what clashes, and which fill in a missing end. (Validating here
        # would also trip over the overlap constraints' condition on `status`, a field this
        # form does not have.)
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)


class AttendanceInline(ReadOnlyInlineMixin, admin.StackedInline):
    """The visit of an appointment, without its clinical content (that page is logged)."""

    model = Attendance
    fields = ("visit", "checked_in_at", "checked_in_by", "started_at", "completed_at")

    @admin.display(description="visit record")
    def visit(self, attendance: Attendance) -> str:
        url = reverse("admin:appointments_attendance_change", args=[attendance.pk])
        return format_html('<a href="{}">Open the visit record</a>', url)


class StatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = AppointmentStatusChange
    fields = (
        "created_at",
        "from_status",
        "to_status",
        "old_start",
        "new_start",
        "new_end",
        "changed_by",
        "note",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Appointment)
class AppointmentAdmin(ServiceModelAdmin):
    """New appointments are booked with appointment_book and changed times go through
    appointment_reschedule, so the admin follows the same rules as the front desk.
    Appointments are cancelled, never deleted."""

    form = AppointmentAdminForm
    list_display = ("start", "end", "patient", "doctor", "status", "reason")
    list_select_related = ("patient", "doctor")
    list_filter = ("status", "doctor__specialty")
    search_fields = (
        "patient__mrn",
        "patient__last_name",
        "doctor__code",
        "doctor__last_name",
        "reason",
        "legacy_id",
    )
    date_hierarchy = "start"
    autocomplete_fields = ("patient", "doctor")
    inlines = (AttendanceInline, StatusChangeInline)
    add_fields = ("patient", "doctor", "start", "end", "reason")
    change_fields = (
        "patient",
        "doctor",
        "start",
        "end",
        "status",
        "reason",
        "cancel_reason",
        "booked_by",
        "legacy_id",
        "created_at",
        "updated_at",
    )

    def get_fields(self, request, obj=None):
        return self.change_fields if obj is not None else self.add_fields

    def get_inlines(self, request, obj):
        # A new appointment has no visit and no moves yet.
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return tuple(f for f in self.change_fields if f not in ("start", "end"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "end":
            field.required = False
            field.help_text = (
                "Leave empty for one slot of the doctor's working hours "
                "(when rescheduling: keep the appointment's length)."
            )
        return field

    def has_change_permission(self, request, obj=None):
        # Only a scheduled appointment can be moved; others are history.
        if obj is not None and obj.status != AppointmentStatus.SCHEDULED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def create_via_service(self, request, form):
        data = form.cleaned_data
        return services.appointment_book(
            patient=data["patient"],
            doctor=data["doctor"],
            start=data["start"],
            end=data.get("end"),
            reason=data.get("reason", ""),
            by=request.user,
        )

    def update_via_service(self, request, obj, form):
        if not {"start", "end"} & set(form.changed_data):
            return obj
        return services.appointment_reschedule(
            appointment=obj,
            start=form.cleaned_data["start"],
            end=form.cleaned_data.get("end") if "end" in form.changed_data else None,
            by=request.user,
        )


@admin.register(AppointmentStatusChange)
class AppointmentStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who moved which appointment when: history, so read-only."""

    list_display = (
        "created_at",
        "appointment",
        "from_status",
        "to_status",
        "old_start",
        "new_start",
        "changed_by",
        "note",
    )
    list_select_related = ("appointment__patient", "appointment__doctor", "changed_by")
    list_filter = ("to_status",)
    search_fields = ("appointment__patient__mrn", "appointment__patient__last_name", "note")
    date_hierarchy = "created_at"


@admin.register(Attendance)
class AttendanceAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Visits are created at check-in and written by the doctor in the clinical pages;
    here they are only read, and each read is logged."""

    list_display = ("visit_start", "patient", "doctor", "checked_in_at", "completed_at")
    list_select_related = ("appointment__doctor", "patient")
    search_fields = ("patient__mrn", "patient__last_name", "appointment__doctor__last_name")
    date_hierarchy = "checked_in_at"
    fields = (
        "appointment",
        "patient",
        "checked_in_at",
        "checked_in_by",
        "started_at",
        "completed_at",
        "concerns",
        "symptoms",
        "diagnosis",
        "notes",
    )

    @admin.display(description="appointment", ordering="appointment__start")
    def visit_start(self, attendance: Attendance):
        return attendance.appointment.start

    @admin.display(description="doctor", ordering="appointment__doctor__last_name")
    def doctor(self, attendance: Attendance):
        return attendance.appointment.doctor


@admin.register(AppointmentMessage)
class AppointmentMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What was told to patients; written and sent by appointments.messaging only (the desk
    sends again from the appointment's page)."""

    list_display = ("created_at", "about", "kind", "channel", "status", "sent_at")
    list_filter = ("status", "kind", "channel")
    # A message is about an appointment or (kind "offered") a waitlist offer, never both.
    list_select_related = (
        "appointment__patient",
        "appointment__doctor",
        "offer__entry__patient",
        "offer__doctor",
    )
    search_fields = (
        "appointment__patient__mrn",
        "appointment__patient__last_name",
        "offer__entry__patient__mrn",
        "offer__entry__patient__last_name",
    )
    raw_id_fields = ("appointment", "offer", "requested_by")
    date_hierarchy = "created_at"

    @admin.display(description="about")
    def about(self, message: AppointmentMessage):
        return message.appointment if message.appointment_id is not None else message.offer


# The check-in queue's rooms and tokens (appointments.queue_admin); series, the waitlist and
# the queue's counters, read only (appointments.scheduling_admin).
from appointments import queue_admin, scheduling_admin  # noqa: E402, F401
