"""Doctors' timetables: the weekly hours of every doctor, one doctor's week, and editing of
hours and time off. Who may see or change what is decided in `get_schedule_for_user` only."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from appointments.selectors import appointments_outside_hours
from core.forms import CalendarDateField, add_service_error
from doctors import selectors, services
from doctors.access import Need, ScheduleAccess, get_schedule_for_user
from doctors.forms import ScheduleFilterForm, TimeOffForm, WorkingHoursForm
from doctors.models import Doctor, Weekday


def schedule_list(request: HttpRequest) -> HttpResponse:
    """Every active doctor's weekly hours (valid on a chosen day) side by side."""
    access = get_schedule_for_user(request)
    form = ScheduleFilterForm(request.GET or None)
    specialty = form.cleaned_data.get("specialty") if form.is_valid() else None
    on = form.day()
    doctors = selectors.doctors_with_hours(on=on, specialty=specialty, doctor=access.own_only)
    rows = [
        (doctor, [[h for h in doctor.current_hours if h.weekday == day] for day in range(7)])
        for doctor in doctors
    ]
    context = {"form": form, "rows": rows, "weekdays": Weekday.labels, "on": on, **_flags(access)}
    return render(request, "doctors/schedule_list.html", context)


def _flags(access: ScheduleAccess) -> dict:
    return {"can_edit": access.can_edit}


def doctor_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """One doctor's week (hours and time off by day), every hours row, upcoming time off,
    and the appointments that no longer fit and need rebooking."""
    access = get_schedule_for_user(request, doctor_pk=pk)
    doctor = access.doctor
    try:
        asked = CalendarDateField().clean(request.GET.get("week", ""))
    except ValidationError:  # 2030-02-30, 9999-12-31 (no week after it), xyz: this week
        asked = None
    monday = selectors.week_start(asked or timezone.localdate())
    context = {
        "doctor": doctor,
        "monday": monday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "week": selectors.doctor_week(doctor=doctor, monday=monday),
        "hours": selectors.doctor_hours(doctor=doctor),
        "time_off": selectors.doctor_time_off(doctor=doctor),
        "stranded": appointments_outside_hours(doctor=doctor),
        "today": timezone.localdate(),
        **_flags(access),
    }
    return render(request, "doctors/doctor_schedule.html", context)


def _done(request: HttpRequest, doctor: Doctor, what: str) -> HttpResponse:
    """Confirm a change and point at the appointments it left outside the hours."""
    messages.success(request, what)
    stranded = appointments_outside_hours(doctor=doctor)
    if stranded:
        messages.warning(
            request,
            f"{len(stranded)} booked appointment{'s' if len(stranded) != 1 else ''} of "
            f"{doctor} now fall{'' if len(stranded) != 1 else 's'} outside the working hours "
            "or in time off. They are kept and listed below for rebooking.",
        )
    return redirect(reverse("doctors:doctor_schedule", args=[doctor.pk]) + "#stranded")


def working_hours_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_schedule_for_user(request, doctor_pk=pk, need=Need.EDIT)
    form = WorkingHoursForm(request.POST or None, submit_label="Add hours")
    if request.method == "POST" and form.is_valid():
        try:
            services.working_hours_create(
                doctor=access.doctor, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:  # the new time is offered to the waitlist (doctors.signals.hours_opened)
            return _done(request, access.doctor, "Added the working hours.")
    context = {"form": form, "doctor": access.doctor, "title": "Add working hours"}
    return render(request, "doctors/workinghours_form.html", context)


def working_hours_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_schedule_for_user(request, hours_pk=pk, need=Need.EDIT)
    hours = access.hours
    initial = {name: getattr(hours, name) for name in services.WORKING_HOURS_FIELDS}
    form = WorkingHoursForm(request.POST or None, initial=initial, submit_label="Save hours")
    if request.method == "POST" and form.is_valid():
        try:
            hours = services.working_hours_update(
                working_hours=hours, data=form.cleaned_data, by=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:  # any time it added is offered to the waitlist (doctors.signals.hours_opened)
            return _done(request, access.doctor, "Saved the working hours.")
    context = {"form": form, "doctor": access.doctor, "hours": hours, "title": "Change hours"}
    return render(request, "doctors/workinghours_form.html", context)


def working_hours_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_schedule_for_user(request, hours_pk=pk, need=Need.EDIT)
    if request.method == "POST":
        services.working_hours_delete(working_hours=access.hours, by=request.user)
        return _done(request, access.doctor, "Removed the working hours.")
    context = {"doctor": access.doctor, "hours": access.hours}
    return render(request, "doctors/workinghours_confirm_delete.html", context)


def time_off_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_schedule_for_user(request, doctor_pk=pk, need=Need.EDIT)
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.time_off_create(doctor=access.doctor, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _done(request, access.doctor, "Added the time off.")
    return render(request, "doctors/timeoff_form.html", {"form": form, "doctor": access.doctor})


def time_off_delete(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_schedule_for_user(request, time_off_pk=pk, need=Need.EDIT)
    if request.method == "POST":
        services.time_off_delete(time_off=access.time_off, by=request.user)
        messages.success(request, "Removed the time off.")
        return redirect("doctors:doctor_schedule", pk=access.doctor.pk)
    context = {"doctor": access.doctor, "time_off": access.time_off}
    return render(request, "doctors/timeoff_confirm_delete.html", context)
