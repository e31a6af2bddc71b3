"""Running a visit: start it, record its notes and items, complete it.

The visit page is one <form> holding the notes and every item's fields. "Add …" and "Remove"
post it with htmx and get back only their item's section, so nothing else on the page changes;
without JavaScript they post the whole page, which comes back with everything typed in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from appointments.models import Attendance
from clinical import selectors, services
from clinical.access import (
    Need,
    get_attendance_for_user,
    get_visit_appointment_for_user,
    may_run_visit,
)
from clinical.forms import VISIT_ITEM_FORMS, VisitItemForm, VisitNotesForm
from clinical.models import VisitItem
from clinical.note_templates import note_templates_for
from clinical.prescription_forms import PrescriptionForm
from clinical.views._common import _error_text, _log_view
from clinical.views._rx_section import PrescriptionSection, prescription_section
from clinical.views._vitals import typed_vitals, vitals_section
from clinical.vitals_forms import VitalsForm
from core.forms import add_service_error


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


@dataclass(frozen=True)
class Notice:
    """What the last add or removal in a section said, shown in that section."""

    text: str
    level: str = "success"  # a Bootstrap alert colour: success or danger


@dataclass
class ItemSection:
    """One kind of item of a visit in progress: the items noted so far and the add fields."""

    form: VisitItemForm
    items: list[VisitItem]
    notice: Notice | None = None
    refocus: bool = False  # focus its add button (the removed item's button is gone)


def _notes_form(attendance: Attendance, data: QueryDict | None = None) -> VisitNotesForm:
    """The notes as saved; with `data` (a POST), bound to what the page sent, a note it did not
    send as saved."""
    saved = {name: getattr(attendance, name) for name in services.VISIT_NOTE_FIELDS}
    if data is None:
        return VisitNotesForm(initial=saved)
    sent = {name: data[name] for name in saved if name in data}
    return VisitNotesForm({**saved, **sent}, initial=saved)


def _typed_item_forms(request: HttpRequest) -> dict[str, VisitItemForm]:
    return {kind: form.typed(request.POST) for kind, form in VISIT_ITEM_FORMS.items()}


@require_http_methods(["GET", "POST"])
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit: notes, medications given, procedures performed, conditions found; read-only
    for others. Saving the notes keeps what was typed into an item's fields and not added."""
    need = Need.VISIT_RUN if request.method == "POST" else Need.VISIT_VIEW
    attendance = get_attendance_for_user(request, pk, need=need)
    form = _notes_form(attendance, request.POST if request.method == "POST" else None)
    item_forms = _typed_item_forms(request)
    if request.method == "POST" and form.is_valid():
        try:
            attendance = services.visit_record(
                attendance=attendance, data=form.cleaned_data, by=request.user
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Visit notes saved.")
            pending = [
                *item_forms.values(),
                PrescriptionForm.typed(request.POST),
                typed_vitals(request.POST),
            ]
            if not any(f.pending for f in pending):
                return redirect("clinical:visit_record", pk=attendance.pk)
            form = _notes_form(attendance)
    _log_view(request, attendance, attendance.patient)
    return _render_visit(request, attendance, notes_form=form, item_forms=item_forms)


def _render_visit(
    request: HttpRequest,
    attendance: Attendance,
    *,
    notes_form: VisitNotesForm,
    item_forms: dict[str, VisitItemForm],
    notices: dict[str, Notice] | None = None,
    refocus: str = "",
    vitals_form: VitalsForm | None = None,
    rx: PrescriptionSection | None = None,
) -> HttpResponse:
    visit = selectors.visit_page(attendance=attendance)
    notices = notices or {}
    if rx is None:
        rx = prescription_section(attendance, PrescriptionForm.typed(request.POST))
    context = {
        "patient": attendance.patient,
        "visit": visit,
        "attendance": attendance,
        "appointment": attendance.appointment,
        "can_run": may_run_visit(request.user, attendance.appointment),
        "is_open": attendance.started_at is not None and attendance.completed_at is None,
        "notes_form": notes_form,
        "sections": [
            ItemSection(form, visit.items_of(kind), notices.get(kind), refocus == kind)
            for kind, form in item_forms.items()
        ],
        "allergies": visit.allergies,
        "note_templates": note_templates_for(
            specialty_id=attendance.appointment.doctor.specialty_id
        ),
        "notes_notice": notices.get("notes"),
        "vitals": vitals_section(
            attendance, vitals_form or typed_vitals(request.POST), notices.get("vitals")
        ),
        "rx": rx,
    }
    return render(request, "clinical/visit_record.html", context)


def render_visit_with_typing(
    request: HttpRequest, attendance: Attendance, *, rx: PrescriptionSection
) -> HttpResponse:
    """The whole visit page (no JavaScript), with everything the POST carried typed in place."""
    return _render_visit(
        request,
        attendance,
        notes_form=_notes_form(attendance, request.POST),
        item_forms=_typed_item_forms(request),
        rx=rx,
    )


def _after_item_change(
    request: HttpRequest,
    attendance: Attendance,
    form: VisitItemForm,
    notice: Notice | None,
    *,
    refocus: bool = False,
) -> HttpResponse:
    """The section of the item's kind (htmx), or the whole page with all that was typed."""
    if request.htmx:
        items = selectors.visit_items(attendance=attendance, kind=form.kind)
        context = {"attendance": attendance, "section": ItemSection(form, items, notice, refocus)}
        return render(request, "clinical/_visit_item_section.html", context)
    return _render_visit(
        request,
        attendance,
        notes_form=_notes_form(attendance, request.POST),
        item_forms={**_typed_item_forms(request), form.kind: form},
        notices={form.kind: notice} if notice else {},
        refocus=form.kind if refocus else "",
    )


@require_POST
def visit_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    form_class = VISIT_ITEM_FORMS.get(request.POST.get("kind", ""))
    if form_class is None:
        raise Http404("Unknown kind of visit item.")
    form, notice = form_class(request.POST), None
    if form.is_valid():
        try:
            item = services.visit_item_add(
                attendance=attendance, kind=form.kind, by=request.user, **form.service_data()
            )
        except services.AllergyConflict as exc:
            form.conflicts = exc.allergies  # shown with the reason field, as an alert
            if form.alert_was_shown():
                form.add_error("override_reason", "Type the reason to go on, or change the drug.")
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            form, notice = form_class(), Notice(f"Added: {item}.")
    form.pending = form.is_bound and form.has_changed()
    return _after_item_change(request, attendance, form, notice)


@require_POST
def visit_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    item = get_object_or_404(VisitItem, pk=item_pk, attendance=attendance)
    try:
        services.visit_item_remove(item=item, by=request.user)
    except ValidationError as exc:
        notice = Notice(_error_text(exc), "danger")
    else:
        notice = Notice(f"Removed: {item}.")
    form = VISIT_ITEM_FORMS[item.kind].typed(request.POST)
    return _after_item_change(request, attendance, form, notice, refocus=True)


@require_POST
def visit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete the visit, saving the notes submitted with the button. Something typed into an
    item's fields and not added stops it, as completing would drop it."""
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    form = _notes_form(attendance, request.POST)
    item_forms = _typed_item_forms(request)
    notices = {
        kind: Notice(f"Not added yet: press “{f.add_label}” or clear it to complete.", "danger")
        for kind, f in item_forms.items()
        if f.pending
    }
    if typed_vitals(request.POST).pending:
        notices["vitals"] = Notice(
            "Not recorded yet: press “Record vital signs” or clear them to complete.", "danger"
        )
    rx_form = PrescriptionForm.typed(request.POST)
    if rx_form.pending:
        notices["prescription"] = Notice(
            f"Not added yet: press “{rx_form.add_label}” or clear it to complete.", "danger"
        )
    if notices:
        messages.error(request, "Not completed: something typed below is not added yet.")
    elif form.is_valid():
        try:
            services.visit_complete(attendance=attendance, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"Visit of {attendance.patient.full_name} completed.")
            return redirect("clinical:chart", pk=attendance.patient_id)
    rx_notice = notices.pop("prescription", None)
    rx = prescription_section(
        attendance, rx_form, (rx_notice.text, rx_notice.level) if rx_notice else None
    )
    return _render_visit(
        request, attendance, notes_form=form, item_forms=item_forms, notices=notices, rx=rx
    )
