"""The doctor's day, the chart and its history entries, billable items, and the audit pages."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from appointments.access import may_call_queue
from appointments.selectors import doctor_queue
from billing.models import BillingSettings
from clinical import selectors, services
from clinical.access import (
    Need,
    get_chart_patient_for_user,
    get_doctor_for_user,
    get_history_entry_for_user,
    has_need,
    may_run_visit,
    require,
)
from clinical.forms import AuditFilterForm, DayForm, HistoryEntryForm
from clinical.views._common import _log_view
from clinical.views._vitals import vitals_chart_context
from core import audit
from core.csvstream import csv_lines
from core.forms import add_service_error
from core.pagination import page_number
from patients.models import HistoryKind


@require_GET
def doctor_day(request: HttpRequest, template_name: str = "clinical/doctor_day.html"):
    """A doctor's appointments of one day, who is waiting, and one click to chart or visit."""
    doctor = get_doctor_for_user(request, request.GET.get("doctor"))
    form = DayForm(request.GET or None, initial={"doctor": doctor, "day": timezone.localdate()})
    day = form.cleaned_data["day"] if form.is_valid() else timezone.localdate()
    rows = selectors.doctor_day(doctor=doctor, day=day) if doctor else []
    context = {
        "doctor": doctor,
        "own_day": doctor is not None and doctor.user_id == request.user.pk,
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "rows": rows,
        "waiting": sorted((r for r in rows if r.state == "waiting"), key=lambda r: r.since),
        "appointments": [r.appointment for r in rows],
        "form": form,
        "can_run": {r.appointment.pk for r in rows if may_run_visit(request.user, r.appointment)},
        # Today's check-in queue: who is called, who waits in token order (one query).
        "queue": doctor_queue(doctor=doctor, day=day)
        if doctor and day == timezone.localdate()
        else None,
        "can_call": doctor is not None and may_call_queue(request.user, doctor),
    }
    return render(request, template_name, context)


@require_GET
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_chart_patient_for_user(request, pk, need=Need.CHART)
    context = {
        "patient": patient,
        "chart": selectors.patient_chart(patient=patient),
        **vitals_chart_context(patient),
        "can_add": has_need(request.user, Need.HISTORY_ADD),
        "can_correct": has_need(request.user, Need.HISTORY_CORRECT),
        "can_audit": has_need(request.user, Need.AUDIT),
        "kinds": HistoryKind,
    }
    _log_view(request, patient, patient)
    return render(request, "clinical/patient_chart.html", context)


def _show_allergy_alert(form: HistoryEntryForm, exc: services.AllergyConflict) -> None:
    """The allergy the service stopped the entry on, shown with the reason field as an alert;
    pressed again without a reason, the field asks for one."""
    form.stopped_by(exc.allergies)
    if form.alert_was_shown():
        form.add_error("override_reason", "Type the reason to go on, or change the drug.")


@require_http_methods(["GET", "POST"])
def history_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_chart_patient_for_user(request, pk, need=Need.HISTORY_ADD)
    kind = request.GET.get("kind", "")
    if kind not in HistoryKind.values:
        raise Http404("Unknown kind of history entry.")
    form = HistoryEntryForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.history_entry_create(
                patient=patient, kind=kind, by=request.user, **form.entry_data()
            )
        except services.AllergyConflict as exc:
            _show_allergy_alert(form, exc)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{HistoryKind(kind).label} added to the history.")
            return redirect(reverse("clinical:chart", args=[patient.pk]) + f"#{kind}")
    if request.method == "GET":
        _log_view(request, patient, patient)
    context = {
        "patient": patient,
        "allergies": selectors.patient_allergies(patient=patient),
        "form": form,
        "kind": HistoryKind(kind),
    }
    return render(request, "clinical/history_form.html", context)


@require_http_methods(["GET", "POST"])
def history_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_history_entry_for_user(request, pk, need=Need.HISTORY_CORRECT)
    form = HistoryEntryForm(request.POST or None, kind=entry.kind, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.history_entry_correct(
                entry=entry,
                data=form.entry_data(),
                reason=form.cleaned_data["reason"],
                override_reason=form.override_reason_given(),
                by=request.user,
            )
        except services.AllergyConflict as exc:
            _show_allergy_alert(form, exc)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Entry corrected; the earlier version is kept.")
            return redirect("clinical:history_revisions", pk=entry.pk)
    if request.method == "GET":
        _log_view(request, entry, entry.patient)
    context = {
        "patient": entry.patient,
        "allergies": selectors.patient_allergies(patient=entry.patient),
        "form": form,
        "entry": entry,
        "kind": HistoryKind(entry.kind),
    }
    return render(request, "clinical/history_form.html", context)


@require_GET
def history_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_history_entry_for_user(request, pk, need=Need.CHART)
    context = {
        "patient": entry.patient,
        "allergies": selectors.patient_allergies(patient=entry.patient),
        "entry": entry,
        "revisions": selectors.entry_revisions(entry=entry),
        "can_correct": has_need(request.user, Need.HISTORY_CORRECT),
    }
    _log_view(request, entry, entry.patient)
    return render(request, "clinical/history_revisions.html", context)


@require_GET
def billable_items(request: HttpRequest, pk: int) -> HttpResponse:
    """A patient's billable items for billing clerks: no diagnoses, no notes."""
    patient = get_chart_patient_for_user(request, pk, need=Need.BILLABLE_ITEMS)
    context = {
        "patient": patient,
        "items": list(selectors.billable_items(patient=patient)),
        "currency": BillingSettings.load().currency,  # the listed prices are in it
    }
    _log_view(request, patient, patient)
    return render(request, "clinical/billable_items.html", context)


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    require(request, Need.AUDIT)
    form = AuditFilterForm(request.GET or None)
    page = None
    if form.is_bound and not form.is_valid():
        page = selectors.Page(items=[], number=1, has_previous=False, has_next=False)
    else:
        filters = form.filters() if form.is_bound else selectors.AuditFilters()
        events = selectors.audit_events(filters=filters)
        page = selectors.page_of(events, number=page_number(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_export": not form.is_bound or form.is_valid(),
    }
    return render(request, "clinical/audit_list.html", context)


@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The audit page's events (its current filters, e.g. a date range) as a CSV download,
    streamed; the export is itself an audit row."""
    require(request, Need.AUDIT)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    audit.audit_record(
        actor=request.user,
        action=audit.Action.EXPORT,
        patient=filters.patient,
        changes={"export": "audit log", "filters": form.as_query()},
    )
    response = StreamingHttpResponse(
        csv_lines(selectors.AUDIT_EXPORT_COLUMNS, selectors.audit_export_rows(filters=filters)),
        content_type="text/csv; charset=utf-8",
    )
    dates = [str(d) for d in (filters.date_from, filters.date_to) if d is not None]
    response["Content-Disposition"] = f'attachment; filename="{"_".join(["audit", *dates])}.csv"'
    return response


@require_GET
def patient_access_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Who opened or changed one patient's record: a summary per user, then every event."""
    patient = get_chart_patient_for_user(request, pk, need=Need.AUDIT)
    filters = selectors.AuditFilters(patient=patient)
    context = {
        "patient": patient,
        "summary": selectors.patient_access_summary(patient=patient),
        "page": selectors.page_of(
            selectors.audit_events(filters=filters),
            number=page_number(request.GET.get("page")),
            size=100,
        ),
        "query": "",
    }
    return render(request, "clinical/patient_access_log.html", context)
