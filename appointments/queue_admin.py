"""The check-in queue in the admin: each doctor's room and public name on the waiting-room
display (written through appointments.queue_services), and the tokens, read only.
Imported by appointments.admin."""

from __future__ import annotations

from django.contrib import admin

from appointments import queue_services
from appointments.queue import QueueRoom, QueueTicket
from core.admin import ReadOnlyAdminMixin, ServiceModelAdmin


@admin.register(QueueRoom)
class QueueRoomAdmin(ServiceModelAdmin):
    """What the waiting-room display shows for a doctor: public, so no patient data here."""

    list_display = ("doctor", "room", "display_name")
    list_select_related = ("doctor",)
    search_fields = ("doctor__code", "doctor__last_name", "room", "display_name")
    autocomplete_fields = ("doctor",)
    fields = ("doctor", "room", "display_name")

    def get_readonly_fields(self, request, obj=None):
        return ("doctor",) if obj is not None else ()

    def _save(self, request, form, doctor):
        return queue_services.queue_room_save(
            doctor=doctor,
            room=form.cleaned_data.get("room", ""),
            display_name=form.cleaned_data.get("display_name", ""),
            by=request.user,
        )

    def create_via_service(self, request, form):
        return self._save(request, form, form.cleaned_data["doctor"])

    def update_via_service(self, request, obj, form):
        return self._save(request, form, obj.doctor)

    def delete_via_service(self, request, obj):
        queue_services.queue_room_delete(queue_room=obj, by=request.user)


@admin.register(QueueTicket)
class QueueTicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tokens are given at check-in and called from the doctor's day list; here only read."""

    list_display = ("day", "queue", "number", "doctor", "called_at", "calls", "withdrawn_at")
    list_filter = ("day",)
    list_select_related = ("doctor",)
    raw_id_fields = ("appointment", "called_by")
    date_hierarchy = "day"
