"""Recording vital signs on the visit page: "Record vital signs" posts the page's one form
with htmx and gets back only the vitals section (nothing else typed on the page is touched);
without JavaScript it posts the whole page, which comes back with everything typed in place."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from clinical import vitals_services
from clinical.access import Need, get_attendance_for_user
from clinical.views._vitals import vitals_section
from clinical.views.visit import Notice, _notes_form, _render_visit, _typed_item_forms
from clinical.vitals_forms import VitalsForm
from clinical.vitals_selectors import measures
from core.forms import add_service_error


@require_POST
def vitals_add(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    form, notice = VitalsForm(request.POST), None
    if form.is_valid():
        try:
            reading = vitals_services.vitals_record(
                attendance=attendance, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            recorded = "; ".join(f"{m.vital.label} {m}" for m in measures(reading))
            form, notice = VitalsForm(), Notice(f"Recorded: {recorded}.")
    form.pending = form.is_bound and form.has_changed()
    if request.htmx:
        context = {"attendance": attendance, "vitals": vitals_section(attendance, form, notice)}
        return render(request, "clinical/_vitals_section.html", context)
    return _render_visit(
        request,
        attendance,
        notes_form=_notes_form(attendance, request.POST),
        item_forms=_typed_item_forms(request),
        vitals_form=form,
        notices={"vitals": notice} if notice else {},
    )
