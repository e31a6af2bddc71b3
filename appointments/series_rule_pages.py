"""The desk's page "Change the repeat rule from here": a new rule for a series from one of its
appointments on, previewed (every new date checked, clashes with an alternative each, the
series booking's preview) and then confirmed (appointments.series_rule_services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from appointments.access import Need, get_appointment_for_user, require
from appointments.models import Appointment, AppointmentStatus
from appointments.series_forms import SeriesRuleForm, occurrence_decisions
from appointments.series_plan import clean_rule, describe
from appointments.series_rule_services import series_change_plan, series_change_rule
from core.forms import add_service_error

CONFIRM = "series_rule_confirm"


def _initial(appointment: Appointment) -> dict:
    """The form as the series stands: its unit, interval and weekdays, from this appointment's
    time on, as many times as are left (or until its last day)."""
    series = appointment.series
    fields = dict(p.split("=", 1) for p in clean_rule(series.rule).split(";") if "=" in p)
    initial = {
        "start": timezone.localtime(appointment.start).replace(tzinfo=None),
        "frequency": fields.get("FREQ", "WEEKLY"),
        "interval": fields.get("INTERVAL", "1"),
        "weekdays": [d for d in fields.get("BYDAY", "").split(",") if d],
        "end": "count",
        "count": Appointment.objects.filter(
            series_id=series.pk,
            series_index__gte=appointment.series_index,
            status=AppointmentStatus.SCHEDULED,
        ).count(),
    }
    until = fields.get("UNTIL", "")[:8]
    if "COUNT" not in fields and len(until) == 8 and until.isdigit():
        initial |= {"end": "until", "until": f"{until[:4]}-{until[4:6]}-{until[6:]}"}
    return initial


def series_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the rule form; POST: its preview, or (action CONFIRM) the change made."""
    appointment = get_appointment_for_user(request, pk, need=Need.CANCEL)
    require(request, Need.RESCHEDULE)
    if (
        appointment.series_id is None
        or appointment.status != AppointmentStatus.SCHEDULED
        or appointment.start <= timezone.now()
    ):
        messages.error(
            request,
            "Only a scheduled appointment of a series, not yet begun, can start a new repeat rule.",
        )
        return redirect("appointments:appointment_detail", pk=pk)
    form = SeriesRuleForm(request.POST or None, initial=_initial(appointment))
    plan = None
    if request.method == "POST" and form.is_valid():
        skip, moves = occurrence_decisions(request.POST)
        wanted = {
            "appointment": appointment,
            "start": form.cleaned_data["start"],
            "rule": form.rule(),
            "skip": skip,
            "moves": moves,
        }
        if request.POST.get("action") == CONFIRM:
            try:
                booked = series_change_rule(**wanted, by=request.user)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"The series changed from {timezone.localtime(booked[0].start):%d %B}: booked "
                    f"{len(booked)} appointments, {describe(wanted['rule'], wanted['start'])}; "
                    "the ones they replace are cancelled.",
                )
                return redirect("appointments:appointment_detail", pk=booked[0].pk)
        try:
            plan = series_change_plan(**wanted)
        except ValidationError as error:
            if not form.errors:
                add_service_error(form, error)
    context = {"appointment": appointment, "form": form, "repeat_form": form, "plan": plan}
    return render(request, "appointments/series_rule.html", context)
