"""Series, the waitlist and the queue's day counters in the admin, read only: each is written
by its workflow (the booking page's Repeat, the waitlist page, check-in), whose services keep
their rules; here an administrator looks them up. Imported by appointments.admin."""

from __future__ import annotations

from django.contrib import admin

from appointments.queue import QueueCounter
from appointments.series import AppointmentSeries
from appointments.waitlist.models import WaitlistEntry, WaitlistOffer
from core.admin import ReadOnlyAdminMixin


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("patient", "doctor", "rule", "first_start", "created_at")
    list_select_related = ("patient", "doctor")
    search_fields = ("patient__mrn", "patient__last_name", "doctor__code", "doctor__last_name")
    raw_id_fields = ("patient", "doctor", "created_by", "continues")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("patient", "doctor", "specialty", "day_from", "day_to", "priority", "status")
    list_filter = ("status", "priority")
    list_select_related = ("patient", "doctor", "specialty")
    search_fields = ("patient__mrn", "patient__last_name", "doctor__code", "doctor__last_name")
    raw_id_fields = ("patient", "doctor", "specialty", "appointment", "added_by")


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entry", "doctor", "start", "status", "expires_at", "closed_at")
    list_filter = ("status",)
    list_select_related = ("entry__patient", "doctor")
    search_fields = ("entry__patient__mrn", "entry__patient__last_name", "doctor__code")
    raw_id_fields = ("entry", "doctor", "closed_by", "appointment")


@admin.register(QueueCounter)
class QueueCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The last token number given per queue and day (check-in takes the next)."""

    list_display = ("day", "queue", "last_number")
    list_filter = ("day",)
    search_fields = ("=queue",)
