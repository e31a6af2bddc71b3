"""Reads of the messages sent to patients."""

from __future__ import annotations

from django.db.models import QuerySet

from appointments.messaging.models import AppointmentMessage


def appointment_messages(*, appointment_id: int) -> QuerySet[AppointmentMessage]:
    """Every message about one appointment, oldest first, with who asked for a resend.
    One query (the unique constraint's index leads with the appointment)."""
    return (
        AppointmentMessage.objects.filter(appointment_id=appointment_id)
        .select_related("requested_by")
        .order_by("created_at", "id")
    )
