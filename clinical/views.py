"""The clinical pages. Each view calls `clinical.access` first; reads of clinical content write
one audit row (a GET costs exactly one audit INSERT), writes go through `clinical.services`."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical import selectors, services
from clinical.access import (
    Need,
    get_attendance_for_user,
    get_chart_patient_for_user,
    get_doctor_for_user,
    get_history_entry_for_user,
    get_visit_appointment_for_user,
    has_need,
    may_run_visit,
    require,
)
from clinical.forms import (
    AuditFilterForm,
    DayForm,
    HistoryEntryForm,
    MedicationGivenForm,
    ProcedurePerformedForm,
    VisitNotesForm,
)
from clinical.models import VisitItem
from core import audit
from core.csvstream import csv_lines
from core.forms import add_service_error
from core.pagination import page_number
from patients.models import HistoryKind, Patient


def _log_view(request: HttpRequest, obj: models.Model, patient: Patient) -> None:
    audit.audit_view(actor=request.user, patient_ids=[patient.pk], obj=obj)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


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
    }
    return render(request, template_name, context)


@require_GET
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_chart_patient_for_user(request, pk, need=Need.CHART)
    context = {
        "patient": patient,
        "chart": selectors.patient_chart(patient=patient),
        "can_add": has_need(request.user, Need.HISTORY_ADD),
        "can_correct": has_need(request.user, Need.HISTORY_CORRECT),
        "can_audit": has_need(request.user, Need.AUDIT),
        "kinds": HistoryKind,
    }
    _log_view(request, patient, patient)
    return render(request, "clinical/patient_chart.html", context)


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
                by=request.user,
            )
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


@require_POST
def visit_start(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_visit_appointment_for_user(request, pk, need=Need.VISIT_RUN)
    try:
        attendance = services.visit_start(appointment=appointment, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("clinical:doctor_day")
    messages.success(request, f"Visit of {appointment.patient.full_name} started.")
    return redirect("clinical:visit_record", pk=attendance.pk)


@require_http_methods(["GET", "POST"])
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit: notes, medications given, procedures performed; read-only for others."""
    need = Need.VISIT_RUN if request.method == "POST" else Need.VISIT_VIEW
    attendance = get_attendance_for_user(request, pk, need=need)
    form = VisitNotesForm(
        request.POST or None,
        initial={name: getattr(attendance, name) for name in services.VISIT_NOTE_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(attendance=attendance, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Visit notes saved.")
        return redirect("clinical:visit_record", pk=attendance.pk)
    _log_view(request, attendance, attendance.patient)
    return _render_visit(request, attendance, notes_form=form)


def _render_visit(
    request, attendance, *, notes_form=None, medication_form=None, procedure_form=None
):
    context = {
        "patient": attendance.patient,
        "visit": selectors.visit_page(attendance=attendance),
        "attendance": attendance,
        "appointment": attendance.appointment,
        "can_run": may_run_visit(request.user, attendance.appointment),
        "is_open": attendance.started_at is not None and attendance.completed_at is None,
        "notes_form": notes_form or VisitNotesForm(),
        "medication_form": medication_form or MedicationGivenForm(),
        "procedure_form": procedure_form or ProcedurePerformedForm(),
    }
    context["allergies"] = context["visit"].allergies
    return render(request, "clinical/visit_record.html", context)


@require_POST
def visit_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    kind = request.POST.get("kind")
    if kind == VisitItem.Kind.MEDICATION:
        form = MedicationGivenForm(request.POST)
    elif kind == VisitItem.Kind.SURGERY:
        form = ProcedurePerformedForm(request.POST)
    else:
        raise Http404("Unknown kind of visit item.")
    if form.is_valid():
        try:
            item = services.visit_item_add(
                attendance=attendance, kind=kind, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"Added: {item}.")
        return redirect(reverse("clinical:visit_record", args=[attendance.pk]) + f"#{kind}")
    forms = {"medication_form" if kind == "medication" else "procedure_form": form}
    return _render_visit(request, attendance, **forms)


@require_POST
def visit_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    item = get_object_or_404(VisitItem, pk=item_pk, attendance=attendance)
    try:
        services.visit_item_remove(item=item, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Removed: {item}.")
    return redirect(reverse("clinical:visit_record", args=[attendance.pk]) + f"#{item.kind}")


@require_POST
def visit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete the visit, saving the notes submitted with the button."""
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    form = VisitNotesForm(request.POST)
    if not form.is_valid():
        return _render_visit(request, attendance, notes_form=form)
    # Fields absent from the POST (a bare "complete" button) keep their saved value.
    data = {k: v for k, v in form.cleaned_data.items() if k in request.POST}
    try:
        services.visit_complete(attendance=attendance, by=request.user, data=data)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("clinical:visit_record", pk=attendance.pk)
    messages.success(request, f"Visit of {attendance.patient.full_name} completed.")
    return redirect("clinical:chart", pk=attendance.patient_id)


@require_GET
def billable_items(request: HttpRequest, pk: int) -> HttpResponse:
    """A patient's billable items for billing clerks: no diagnoses, no notes."""
    patient = get_chart_patient_for_user(request, pk, need=Need.BILLABLE_ITEMS)
    context = {"patient": patient, "items": list(selectors.billable_items(patient=patient))}
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
