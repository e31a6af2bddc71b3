"""Starting a visit's notes from a template (SOAP, per specialty): the notes section of the
visit page filled from it, nothing saved until the doctor saves. Text the doctor typed is
kept unless the doctor then says to replace it (clinical.note_templates.template_fill)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from appointments.models import Attendance
from clinical import services
from clinical.access import Need, get_attendance_for_user
from clinical.forms import VisitNotesForm
from clinical.note_templates import note_templates_for, template_fill
from clinical.views import visit

FIELD_LABELS = {"concerns": "Concerns", "symptoms": "Symptoms", "notes": "Notes"}


def templates_offered(attendance: Attendance) -> list:
    return note_templates_for(specialty_id=attendance.appointment.doctor.specialty_id)


@require_POST
def visit_template_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill the notes as they are on the page (the POST) from the template picked: empty
    fields, and fields holding a template's untouched text, take the template's; a field
    holding the doctor's own text keeps it, and the section asks whether to replace it
    (`template_replace=1` does). htmx gets the notes section back, else the whole page with
    all that was typed."""
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    if attendance.started_at is None or attendance.completed_at is not None:
        return redirect("clinical:visit_record", pk=attendance.pk)
    offered = templates_offered(attendance)
    picked = next((t for t in offered if str(t.pk) == request.POST.get("note_template")), None)
    current = visit._notes_form(attendance, request.POST)
    notice = None
    if picked is None:
        notice = visit.Notice("Pick a template first.", "danger")
        values = {name: current[name].value() or "" for name in services.VISIT_NOTE_FIELDS}
    else:
        typed = {name: current[name].value() or "" for name in services.VISIT_NOTE_FIELDS}
        fill = template_fill(
            template=picked,
            current=typed,
            others=offered,
            replace=request.POST.get("template_replace") == "1",
        )
        values = fill.values
        if fill.kept:
            names = " and ".join(FIELD_LABELS[name] for name in fill.kept)
            notice = visit.Notice(
                f"“{picked.name}” filled the empty fields; your text in {names} is kept.",
                "warning",
            )
        else:
            notice = visit.Notice(f"“{picked.name}” applied: check it, then save the notes.")
    saved = {name: getattr(attendance, name) for name in services.VISIT_NOTE_FIELDS}
    form = VisitNotesForm({**saved, **values}, initial=saved)
    form.is_valid()
    context = {
        "attendance": attendance,
        "notes_form": form,
        "note_templates": offered,
        "notes_notice": notice,
    }
    if request.htmx:
        return render(request, "clinical/_visit_notes_section.html", context)
    return visit._render_visit(
        request,
        attendance,
        notes_form=form,
        item_forms=visit._typed_item_forms(request),
        notices={"notes": notice},
    )
