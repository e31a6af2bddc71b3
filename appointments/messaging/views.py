"""The desk sends an appointment's details to the patient again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from appointments.access import Need, get_appointment_for_user
from appointments.messaging import services
from appointments.messaging.models import MessageChannel, MessageStatus

_BY = {MessageChannel.EMAIL: "e-mail", MessageChannel.SMS: "text message"}


@require_POST
def message_resend(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for_user(request, pk, need=Need.RESEND)
    try:
        rows = services.message_resend(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        queued = [row for row in rows if row.status == MessageStatus.PENDING]
        if queued:
            how = " and ".join(_BY[row.channel] for row in queued)
            messages.success(request, f"The details go to the patient again by {how}.")
        else:
            why = "; ".join(f"{r.get_channel_display()}: {r.get_status_display()}" for r in rows)
            messages.warning(request, f"Nothing could be sent ({why}).")
    return redirect("appointments:appointment_detail", pk=appointment.pk)
