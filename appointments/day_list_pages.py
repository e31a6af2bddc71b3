"""The printed day list: every doctor's appointments of a day for the desk, or one doctor's
(`?doctor=CODE`; a doctor gets their own), as a page that prints on A4 and as CSV. Who may
print whose list is decided in `appointments.access.get_day_list_doctor` only."""

from __future__ import annotations

import datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from appointments import selectors
from appointments.access import get_day_list_doctor
from appointments.forms import DayFilterForm
from core.audit import Action, audit_record
from core.csvstream import write_rows


def _lists(request: HttpRequest) -> tuple[DayFilterForm, datetime.date, list, bool]:
    """The filters, the day, the lists of the doctors shown, and whether one doctor only.
    Four queries (the doctors, hours, time off, appointments), five with `?doctor=`."""
    own = get_day_list_doctor(request, request.GET.get("doctor", "").strip())
    form = DayFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("day") or timezone.localdate()
    doctors = (
        [own]
        if own is not None
        else selectors.calendar_day_doctors(day=day, specialty=data.get("specialty"))
    )
    return form, day, selectors.day_list(day=day, doctors=doctors), own is not None


def day_list(request: HttpRequest) -> HttpResponse:
    """The day list to print: a table per doctor, a page each on paper."""
    form, day, lists, one = _lists(request)
    if one:  # one doctor's list: the specialty filter has nothing to choose from
        form.fields["specialty"].widget = forms.HiddenInput()
    csv_query = {key: request.GET[key] for key in ("doctor", "specialty") if request.GET.get(key)}
    context = {
        "form": form,
        "day": day,
        "lists": lists,
        "one_doctor": one,
        "doctor_code": lists[0].doctor.code if one else "",
        "csv_query": urlencode({"day": day.isoformat(), **csv_query}),
        "calendar_query": urlencode({"day": day.isoformat()}),
        "printed_at": timezone.localtime(),
    }
    return render(request, "appointments/day_list.html", context)


def day_list_csv(request: HttpRequest) -> HttpResponse:
    """The same day list as CSV, one row per appointment; the export is audited."""
    _, day, lists, one = _lists(request)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        changes={"day_list": day.isoformat(), "doctors": [entry.doctor.code for entry in lists]},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    code = "".join(c for c in lists[0].doctor.code if c.isalnum() or c in "-_") if one else ""
    stem = "_".join(part for part in ("day-list", day.isoformat(), code) if part)
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    write_rows(response, [selectors.DAY_LIST_COLUMNS, *selectors.day_list_rows(lists)])
    return response
