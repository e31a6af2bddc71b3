"""The booking desk: calendars, arrivals, booking with the slot picker, and the status moves.
Who may do what is decided in `appointments.access` only."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from appointments import selectors, series_pages, services
from appointments.access import (
    Need,
    get_appointment_for_user,
    has_need,
    may_mark_no_show,
    require,
)
from appointments.forms import (
    BookingForm,
    CancelForm,
    DayFilterForm,
    RescheduleForm,
    SlotFilterForm,
    WeekFilterForm,
)
from appointments.messaging.selectors import appointment_messages
from appointments.messaging.services import channels
from appointments.models import Appointment, AppointmentStatus
from appointments.waitlist import views as waitlist_views
from core.params import record_id
from doctors.selectors import week_start
from patients.models import Patient
from patients.selectors import parse_query, patient_search


def _grid_links() -> dict:
    """URLs of a calendar's cells, reversed once per page instead of once per cell."""
    marker = "987654321"
    detail = reverse("appointments:appointment_detail", args=[marker]).split(marker)
    return {
        "detail": detail,
        "book": reverse("appointments:appointment_book"),
        "week": reverse("appointments:calendar_week"),
    }


def _next_url(request: HttpRequest, default: str) -> str:
    """`next` (POST or GET) when it is a path of this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return target if target.startswith("/") else default


def _back(request: HttpRequest, default: str) -> HttpResponse:
    # Never `redirect(target)`: a `next` such as "abc" would be taken for a view's name.
    return HttpResponseRedirect(_next_url(request, default))


# --- Calendars and arrivals ------------------------------------------------------------------


def calendar_day(request: HttpRequest) -> HttpResponse:
    """Every doctor working that day, a column each, on one screen (a list per doctor on a
    small screen, or with `?view=list`); free cells book that slot. `?highlight=` marks an
    appointment (the one just booked) and brings it into view. Five queries whatever the
    number of doctors and appointments (specialties, doctors, hours, time off, appointments).
    """
    require(request, Need.VIEW)
    query = request.GET.copy()
    query.setdefault("day", timezone.localdate().isoformat())
    form = DayFilterForm(query)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("day") or timezone.localdate()
    specialty = data.get("specialty")
    view = request.GET.get("view") if request.GET.get("view") in ("grid", "list") else ""
    doctors = selectors.calendar_day_doctors(day=day, specialty=specialty)
    grid = selectors.calendar_day(day=day, doctors=doctors)
    context = {
        "form": form,
        "day": day,
        "today": timezone.localdate(),
        "view": view,
        "grid": grid,
        "compact": len(grid.columns) > selectors.WIDE_COLUMNS,
        "lists": selectors.day_lists(grid) if view != "grid" else [],
        "highlight": _number(request.GET.get("highlight", "")),
        "links": {**_grid_links(), **_day_links(day, specialty, view)},
        "highlight_note": "Just moved" if request.GET.get("moved") else "Just booked",
        "can_book": has_need(request.user, Need.BOOK),
        "can_move": has_need(request.user, Need.RESCHEDULE),
    }
    return render(request, "appointments/calendar_day.html", context)


def _number(raw: str) -> int | None:
    return record_id(raw)


def _day_links(day: datetime.date, specialty, view: str) -> dict[str, str]:
    """Query strings of the day calendar's navigation: another day, or the grid or the list,
    each keeping the rest (the specialty, the day, the view)."""

    def query(**changes) -> str:
        params = {"day": day.isoformat(), "specialty": specialty.pk if specialty else ""}
        params |= {"view": view, **changes}
        return "?" + urlencode({key: value for key, value in params.items() if value})

    one = datetime.timedelta(days=1)
    return {
        "previous_day": query(day=(day - one).isoformat()),
        "next_day": query(day=(day + one).isoformat()),
        "today": query(day=""),
        "grid": query(view="grid"),
        "list": query(view="list"),
        "day_list": reverse("appointments:day_list") + query(view=""),
    }


def calendar_week(request: HttpRequest) -> HttpResponse:
    """One doctor's week, a column per day (a doctor sees their own by default)."""
    require(request, Need.VIEW)
    doctors = list(selectors.bookable_doctors())
    own = next((d for d in doctors if d.user_id == request.user.pk), None)
    default = own or (doctors[0] if doctors else None)
    data = request.GET.copy()
    if default is not None:
        data.setdefault("doctor", str(default.pk))
    form = WeekFilterForm(data, doctors=doctors)
    if not form.is_valid() or default is None:
        return render(request, "appointments/calendar_week.html", {"form": form, "grid": None})
    doctor = form.cleaned_data["doctor"]
    monday = week_start(form.cleaned_data["week"] or timezone.localdate())
    context = {
        "form": form,
        "doctor": doctor,
        "monday": monday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "today": timezone.localdate(),
        "grid": selectors.calendar_week(doctor=doctor, week_start=monday),
        "links": _grid_links(),
        "can_book": has_need(request.user, Need.BOOK),
    }
    return render(request, "appointments/calendar_week.html", context)


def arrivals(request: HttpRequest) -> HttpResponse:
    """Today's appointments in time order, each with a one-click check-in (and its undo,
    until the visit starts). A list of cards on a phone (static/appointments/arrivals.css)."""
    require(request, Need.VIEW)
    today = timezone.localdate()
    appointments = list(selectors.arrivals(day=today))
    waiting = sum(a.status == AppointmentStatus.SCHEDULED for a in appointments)
    context = {
        "today": today,
        "now": timezone.now(),
        "appointments": appointments,
        "waiting": waiting,
        "can_check_in": has_need(request.user, Need.CHECK_IN),
    }
    return render(request, "appointments/arrivals.html", context)


def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for_user(request, pk, need=Need.VIEW)
    user = request.user
    context = {
        "appointment": appointment,
        "history": selectors.appointment_history(appointment=appointment),
        "now": timezone.now(),
        "today": timezone.localdate(),
        "local_day": selectors.local_date(appointment.start),
        "can_move": has_need(user, Need.RESCHEDULE),
        "can_check_in": has_need(user, Need.CHECK_IN),
        "can_no_show": may_mark_no_show(user, appointment),
        **series_pages.series_context(appointment, user),
    }
    if has_need(user, Need.MESSAGES):
        context["patient_messages"] = appointment_messages(appointment_id=appointment.pk)
        context["can_resend"] = has_need(user, Need.RESEND)
        context["channels"] = channels()
    return render(request, "appointments/appointment_detail.html", context)


# --- Booking -------------------------------------------------------------------------------


def _picker(filters: dict, *, first: bool = False, selected: str = ""):
    doctor, specialty = filters["doctor"], filters["specialty"]
    doctors = [doctor] if doctor else list(selectors.bookable_doctors(specialty=specialty))
    if not doctor and not specialty:
        doctors = []
    return selectors.slot_picker(
        doctors=doctors,
        day_from=filters["from_date"],
        length=filters["length"],
        first=first,
        selected=selected,
    )


def appointment_book(request: HttpRequest) -> HttpResponse:
    """Book: the patient (searched for on the page as one types), a doctor or specialty and a
    free slot (a free calendar cell sends its doctor, day and `time`, and that slot comes
    preselected), then confirm. A refusal (the slot taken meanwhile) keeps every choice."""
    require(request, Need.BOOK)
    form = BookingForm(request.POST if request.method == "POST" else request.GET)
    action = request.POST.get("action") or ("first" if request.GET.get("first") else "show")
    if request.method == "POST" and action == "waitlist":  # no time suits: the waitlist
        return waitlist_views.from_booking(request, form)
    # "Repeat": a series' preview or booking (appointments.series_pages), the rest kept.
    booked_series, series_context = series_pages.booking_series(request, form, action)
    if booked_series is not None:
        return booked_series
    if request.method == "POST" and action == "book" and form.is_valid():
        patient, chosen = form.cleaned_data["patient"], form.cleaned_data["slot_choice"]
        if patient is None:
            form.add_error("patient", "Choose the patient to book for.")
        elif chosen is None:
            form.add_error("slot", "Pick a free slot.")
        else:
            try:
                appointment = services.appointment_book(
                    patient=patient,
                    doctor=chosen[0],
                    start=chosen[1],
                    end=chosen[2],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)  # e.g. "That slot was just taken — pick another."
            else:
                return _booked(request, appointment)
    context = _booking_context(request, form, first=action == "first") | series_context
    return render(request, "appointments/appointment_book.html", context)


def _booking_context(request: HttpRequest, form: BookingForm, *, first: bool) -> dict:
    """The booking page's slot picker (a calendar cell's slot preselected), the chosen slot,
    and while no patient is chosen, the suggestions for what was typed (without htmx)."""
    filters = form.filters()
    picker = _picker(filters, first=first, selected=request.POST.get("slot", ""))
    cell_time = form.cleaned_data.get("time")
    if not picker.selected and filters["doctor"] and cell_time:
        _preselect(picker, filters["from_date"], cell_time)
    patient = form.cleaned_data.get("patient")
    data = request.POST if request.method == "POST" else request.GET
    query = data.get("q", "").strip() if patient is None else ""
    return {
        "form": form,
        "patient": patient,
        "picker": picker,
        "chosen": _chosen(picker),
        "q": query,
        "suggestions": _suggestions(query) if query else None,
    }


def _preselect(picker, day: datetime.date, at: datetime.time) -> None:
    """Select the free slot of `day` that starts at `at` (a calendar cell's time), else the
    one under it (a doctor's slots longer than the calendar's rows)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, at))
    slots = [
        choice for shown_day, choices, _ in picker.days if shown_day == day for choice in choices
    ]
    found = selectors.slot_at(slots, moment)
    if found is not None:
        picker.selected = found.value


def _chosen(picker):
    """The picker's selected slot, if it is still offered."""
    if not picker.selected:
        return None
    return next(
        (c for _, choices, _ in picker.days for c in choices if c.value == picker.selected), None
    )


BOOKING_SUGGESTIONS = 8


def _suggestions(query: str) -> dict:
    """The booking page's patient suggestions for `query`: the few best matches of the
    patient search (one query), and what to say when there are none."""
    parsed = parse_query(query)
    patients = list(patient_search(query=query)[:BOOKING_SUGGESTIONS]) if query else []
    return {"query": query, "too_short": parsed.too_short, "patients": patients}


@require_GET
def booking_patient(request: HttpRequest) -> HttpResponse:
    """The booking page's patient, alone (htmx): `?q=` suggests patients as one types;
    `?patient=` is the one picked (its card, and the hidden field that books for them);
    `?patient=` empty asks again."""
    require(request, Need.BOOK)
    if "patient" not in request.GET:
        context = {"suggestions": _suggestions(request.GET.get("q", "").strip())}
        return render(request, "appointments/_patient_suggestions.html", context)
    pk = _number(request.GET["patient"])
    patient = Patient.objects.active().filter(pk=pk).first() if pk else None
    if request.GET["patient"] and patient is None:
        raise Http404("No such active patient.")
    context = {"patient": patient, "picked": True}
    return render(request, "appointments/_booking_patient.html", context)


def _booked(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    local = timezone.localtime(appointment.start)
    messages.success(
        request,
        f"Booked {appointment.patient.full_name} with {appointment.doctor} on "
        f"{local:%A %d %B at %H:%M}.",
    )
    # The whole day, the new visit highlighted and scrolled into view below the doctors' row
    # (static/appointments/calendar.js), the message above it.
    url = reverse("appointments:calendar_day")
    query = urlencode({"day": f"{local:%Y-%m-%d}", "highlight": appointment.pk})
    return redirect(f"{url}?{query}")


@require_GET
def slot_picker(request: HttpRequest) -> HttpResponse:
    """The slot picker alone (htmx), for booking or for moving `?appointment=`."""
    require(request, Need.BOOK)
    if request.GET.get("appointment"):
        return _reschedule_picker(request)
    filters = SlotFilterForm(request.GET).filters()
    picker = _picker(filters, first=bool(request.GET.get("first")))
    return render(request, "appointments/_slot_picker.html", {"picker": picker})


def _reschedule_picker(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("appointment", "")
    appointment = get_appointment_for_user(request, record_id(raw) or 0, need=Need.RESCHEDULE)
    form = RescheduleForm(request.GET)
    picker = _move_picker(appointment, form, first=bool(request.GET.get("first")))
    return render(request, "appointments/_slot_picker.html", {"picker": picker})


def _move_picker(appointment: Appointment, form: RescheduleForm, *, first: bool, selected=""):
    """The booking page's slot picker for the chosen doctor (default the appointment's own),
    slots as long as the appointment, the appointment itself not counted as busy."""
    doctor, day_from = form.picker_filters(doctor=appointment.doctor)
    return selectors.slot_picker(
        doctors=[doctor],
        day_from=day_from,
        length=appointment.end - appointment.start,
        first=first,
        selected=selected,
        ignore=appointment,
    )


# --- Moves ---------------------------------------------------------------------------------


def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a scheduled appointment to a free slot of its doctor or another (history kept).
    A refusal (the slot taken meanwhile, the doctor away) keeps the doctor and day chosen."""
    appointment = get_appointment_for_user(request, pk, need=Need.RESCHEDULE)
    data = (request.POST if request.method == "POST" else request.GET).copy()
    data["appointment"] = str(appointment.pk)
    data.setdefault("doctor", str(appointment.doctor_id))
    form = RescheduleForm(data)
    action = request.POST.get("action") or ("first" if request.GET.get("first") else "show")
    if request.method == "POST" and action == "book" and form.is_valid():
        chosen = form.cleaned_data["slot_choice"]
        doctor = form.cleaned_data["doctor"] or appointment.doctor
        if chosen is None or chosen[0].pk != doctor.pk:
            form.add_error("slot", f"Pick a free slot of {doctor}.")
        else:
            try:
                moved = services.appointment_reschedule(
                    appointment=appointment,
                    doctor=doctor,
                    start=chosen[1],
                    end=chosen[2],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)  # e.g. "That slot was just taken — pick another."
            else:
                local = timezone.localtime(moved.start)
                messages.success(request, f"Moved to {local:%A %d %B at %H:%M} with {doctor}.")
                return redirect("appointments:appointment_detail", pk=pk)
    picker = _move_picker(
        appointment, form, first=action == "first", selected=request.POST.get("slot", "")
    )
    context = {"appointment": appointment, "form": form, "picker": picker}
    return render(request, "appointments/appointment_reschedule.html", context)


def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the reason, then cancel (the slot is free again)."""
    appointment = get_appointment_for_user(request, pk, need=Need.CANCEL)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Cancelled {appointment.patient.full_name}'s appointment.")
        return redirect("appointments:appointment_detail", pk=pk)
    return render(
        request, "appointments/appointment_cancel.html", {"appointment": appointment, "form": form}
    )


@require_POST
def appointment_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for_user(request, pk, need=Need.CHECK_IN)
    try:
        checked_in = services.appointment_check_in(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        token = checked_in.queue_ticket.number
        messages.success(request, f"Checked in {appointment.patient.full_name}: token {token}.")
    return _back(request, reverse("appointments:arrivals"))


def appointment_undo_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then set a patient checked in by mistake back to scheduled (POST).
    The service refuses on another day or once the visit started; its reason is the message."""
    appointment = get_appointment_for_user(request, pk, need=Need.CHECK_IN)
    back = _next_url(request, reverse("appointments:appointment_detail", args=[pk]))
    if request.method == "POST":
        try:
            services.appointment_undo_check_in(appointment=appointment, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"Check-in of {appointment.patient.full_name} undone: the appointment is "
                "scheduled again.",
            )
        return HttpResponseRedirect(back)
    context = {"appointment": appointment, "next": back}
    return render(request, "appointments/appointment_undo_check_in.html", context)


@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_appointment_for_user(request, pk, need=Need.NO_SHOW)
    try:
        services.appointment_no_show(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Marked {appointment.patient.full_name} as a no-show.")
    return _back(request, reverse("appointments:arrivals"))
