"""The desk's pages of recurring series: "Repeat" on the booking page with its preview of
every occurrence (clashes, why, an alternative each: an htmx partial, also rendered by the
page itself), and changing or cancelling a series from one of its appointments."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from appointments import series_services
from appointments.access import Need, get_appointment_for_user, has_need, require
from appointments.forms import BookingForm
from appointments.models import Appointment, AppointmentSeries, AppointmentStatus
from appointments.series_forms import RepeatForm, SeriesChangeForm, occurrence_decisions
from appointments.series_plan import describe, series_plan
from appointments.series_services import SCOPES, when
from core.forms import add_service_error

PREVIEW, BOOK = "series_preview", "series_book"


def booking_series(
    request: HttpRequest, form: BookingForm, action: str
) -> tuple[HttpResponse | None, dict]:
    """The booking page's series part: with "Repeat" ticked, the plan of its occurrences (on
    `action` PREVIEW or BOOK) and, on BOOK, the series booked (a redirect) or the refusal on
    the form. Returns (the response when booked, else None; the page's context)."""
    data = request.POST if request.method == "POST" else request.GET
    repeat = RepeatForm(data if "repeat" in data else None)
    context: dict = {"repeat_form": repeat, "plan": None}
    if action not in (PREVIEW, BOOK) or not repeat.is_valid() or not repeat.cleaned_data["repeat"]:
        return None, context
    form.is_valid()
    patient, chosen = form.cleaned_data.get("patient"), form.cleaned_data.get("slot_choice")
    if patient is None or chosen is None:
        repeat.add_error(None, "Choose the patient and the first appointment's slot first.")
        return None, context
    doctor, start, end = chosen
    skip, moves = occurrence_decisions(data)
    wanted = {"patient": patient, "doctor": doctor, "start": start, "rule": repeat.rule()}
    if action == BOOK:
        try:
            booked = series_services.series_book(
                **wanted,
                length=end - start,
                skip=skip,
                moves=moves,
                reason=form.cleaned_data.get("reason", ""),
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(repeat, error)
        else:
            messages.success(
                request,
                f"Booked {len(booked)} appointments for {patient.full_name} with {doctor}, "
                f"{describe(wanted['rule'], start)}.",
            )
            return redirect("appointments:appointment_detail", pk=booked[0].pk), context
    try:
        context["plan"] = series_plan(**wanted, length=end - start, skip=skip, moves=moves)
    except ValidationError as error:
        add_service_error(repeat, error)
    return None, context


@require_POST
def series_preview(request: HttpRequest) -> HttpResponse:
    """The preview alone (htmx), from the booking form as it stands; nothing is written."""
    require(request, Need.BOOK)
    _, context = booking_series(request, BookingForm(request.POST), PREVIEW)
    return render(request, "appointments/_series_preview.html", {**context, "asked": True})


def series_context(appointment: Appointment, user) -> dict:
    """What an occurrence's page shows of its series: the rule in words, every occurrence
    (number, time, status, where the rule had put a moved one), the series it continues and
    those continuing it (a change of repeat rule), each with a link to one of its
    occurrences, and the change form when the user may. One query; nothing for an
    appointment of no series."""
    if appointment.series_id is None:
        return {}
    series_id = appointment.series_id
    continued = AppointmentSeries.objects.filter(pk=series_id).values("continues_id")[:1]
    # Its own occurrences and those of the series linked to it, in the one query.
    rows = list(
        Appointment.objects.filter(
            Q(series_id=series_id)
            | Q(series_id=Subquery(continued))
            | Q(series__continues_id=series_id)
        )
        .select_related("series")
        .order_by("series_index", "series_id")
    )
    occurrences = [o for o in rows if o.series_id == series_id]
    series = occurrences[0].series if occurrences else None
    start = appointment.start.astimezone(timezone.get_default_timezone())
    return {
        "series": series,
        "series_words": describe(series.rule, series.first_start) if series else "",
        "occurrences": occurrences,
        "series_continues": _continues(series, rows),
        "series_continued_by": _continued_by(series_id, rows),
        "series_form": SeriesChangeForm(
            initial={"scope": series_services.ONE, "start": start.replace(tzinfo=None)}
        ),
        "can_change_series": has_need(user, Need.CANCEL) and has_need(user, Need.RESCHEDULE),
    }


@dataclass(frozen=True)
class SeriesLink:
    """Another series of the same appointments and the occurrence of it a link opens."""

    series: AppointmentSeries
    occurrence: Appointment


def _continues(series: AppointmentSeries | None, rows: list[Appointment]) -> SeriesLink | None:
    """The series `series` replaces, linked by its last appointment not cancelled (the last
    one kept before the change), else its first."""
    if series is None or series.continues_id is None:
        return None
    earlier = [o for o in rows if o.series_id == series.continues_id]
    if not earlier:
        return None
    kept = [o for o in earlier if o.status != AppointmentStatus.CANCELLED]
    occurrence = kept[-1] if kept else earlier[0]
    return SeriesLink(series=occurrence.series, occurrence=occurrence)


def _continued_by(series_id: int, rows: list[Appointment]) -> list[SeriesLink]:
    """The series replacing this one from a date on, each linked by its first appointment,
    in the order they start."""
    firsts: dict[int, Appointment] = {}
    for o in rows:
        if o.series.continues_id == series_id and o.series_id != series_id:
            firsts.setdefault(o.series_id, o)
    links = [SeriesLink(series=o.series, occurrence=o) for o in firsts.values()]
    return sorted(links, key=lambda link: (link.series.first_start, link.series.pk))


@require_POST
def series_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel or move this occurrence, this and the following ones, or all (the desk)."""
    appointment = get_appointment_for_user(request, pk, need=Need.CANCEL)
    require(request, Need.RESCHEDULE)
    form = SeriesChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect("appointments:appointment_detail", pk=pk)
    scope, data = form.cleaned_data["scope"], form.cleaned_data
    try:
        if data["action"] == "cancel":
            done = series_services.series_cancel(
                appointment=appointment, scope=scope, reason=data["reason"], by=request.user
            )
            verb = "Cancelled"
        else:
            done = series_services.series_reschedule(
                appointment=appointment, start=data["start"], scope=scope, by=request.user
            )
            verb = "Moved"
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        count = "1 appointment" if len(done) == 1 else f"{len(done)} appointments"
        messages.success(request, f"{verb} {count} ({SCOPES[scope]}), from {when(done[0].start)}.")
    return redirect("appointments:appointment_detail", pk=pk)
