"""An appointment dragged onto a free cell of the day calendar (static/appointments/calendar.js
asks first, in words, then posts here). The same engine as the reschedule page: the slot must
be one the availability engine offers that doctor for the appointment's length, and the move
goes through `services.appointment_reschedule`. Without a pointer, each appointment's link
leads to its page and its Reschedule button."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from appointments import selectors, services
from appointments.access import Need, get_appointment_for_user
from appointments.forms import DropForm
from core.params import record_id


def _calendar(day: datetime.date, **query) -> HttpResponse:
    url = reverse("appointments:calendar_day")
    return redirect(f"{url}?{urlencode({'day': day.isoformat(), **query})}")


@require_POST
def appointment_move(request: HttpRequest) -> HttpResponse:
    """Move the appointment (`appointment`) to the free slot of the dropped cell's doctor
    that starts at its time, else the one under it (as a free cell's booking link picks it):
    the calendar comes back with the appointment highlighted. A time the engine does not
    offer, or a refusal (taken meanwhile, the doctor away), moves nothing and says why."""
    raw = request.POST.get("appointment", "")
    pk = record_id(raw) or 0
    appointment = get_appointment_for_user(request, pk, need=Need.RESCHEDULE)
    form = DropForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was moved: that is not a free cell of the calendar.")
        return _calendar(timezone.localdate(appointment.start))
    doctor, day, at = (form.cleaned_data[name] for name in ("doctor", "day", "time"))
    length = appointment.end - appointment.start
    free = selectors.slot_choices(
        doctors=[doctor], day_from=day, day_to=day, length=length, ignore=appointment
    )
    slot = selectors.slot_at(free, timezone.make_aware(datetime.datetime.combine(day, at)))
    if slot is None:
        minutes = int(length.total_seconds() // 60)
        messages.error(
            request,
            f"Nothing was moved: {doctor} has no free {minutes}-minute slot at {at:%H:%M} "
            f"on {day:%A %d %B}.",
        )
        return _calendar(day)
    try:
        moved = services.appointment_reschedule(
            appointment=appointment, doctor=doctor, start=slot.start, end=slot.end, by=request.user
        )
    except ValidationError as error:
        messages.error(request, f"Nothing was moved: {' '.join(error.messages)}")
        return _calendar(day)
    local = timezone.localtime(moved.start)
    messages.success(
        request,
        f"Moved {moved.patient.full_name} to {local:%A %d %B at %H:%M} with {doctor}.",
    )
    return _calendar(local.date(), highlight=moved.pk, moved=1)
