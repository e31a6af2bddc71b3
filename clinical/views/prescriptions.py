"""The visit's prescription: add a drug (stopped by a matching allergy until a reason is
typed), take one back, and print the numbered prescription as a PDF.

Like the visit's items, the fields sit in the visit page's one <form>: "Add to prescription"
posts it with htmx and gets back only the prescription's section, everything typed in place
(also when the allergy check stops it); without JavaScript it posts the whole page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from appointments.models import Attendance
from clinical import prescription_pdf, prescription_selectors, services
from clinical.access import Need, get_attendance_for_user
from clinical.prescription_forms import PrescriptionForm
from clinical.prescriptions import PrescriptionLine
from clinical.views._common import _error_text, _log_view
from clinical.views._rx_section import prescription_section
from clinical.views.visit import render_visit_with_typing
from core.forms import add_service_error


def _after_change(
    request: HttpRequest, attendance: Attendance, form: PrescriptionForm, notice
) -> HttpResponse:
    section = prescription_section(attendance, form, notice)
    if request.htmx:
        context = {"attendance": attendance, "rx": section, "editable": True}
        return render(request, "clinical/_prescription_section.html", context)
    return render_visit_with_typing(request, attendance, rx=section)


@require_POST
def prescription_add(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    form, notice = PrescriptionForm(request.POST), None
    if form.is_valid():
        try:
            line = services.prescription_create(
                attendance=attendance, by=request.user, **form.service_data()
            )
        except services.AllergyConflict as exc:
            form.conflicts = exc.allergies  # shown with the reason field, as an alert
            if form.alert_was_shown():
                form.add_error("override_reason", "Type the reason to go on, or change the drug.")
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            form = PrescriptionForm()
            unpriced = "" if line.is_priced else " (not on the price list: unpriced)"
            notice = (f"Prescribed: {line.drug_name}{unpriced}.", "success")
    form.pending = form.is_bound and form.has_changed()
    return _after_change(request, attendance, form, notice)


@require_POST
def prescription_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_RUN)
    line = get_object_or_404(PrescriptionLine, pk=line_pk, prescription__attendance=attendance)
    try:
        services.prescription_line_remove(line=line, by=request.user)
    except ValidationError as exc:
        notice = (_error_text(exc), "danger")
    else:
        notice = (f"Removed from the prescription: {line.drug_name}.", "success")
    return _after_change(request, attendance, PrescriptionForm.typed(request.POST), notice)


@require_GET
def prescription_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit's prescription as a PDF (doctors and administrators; read, so audited)."""
    attendance = get_attendance_for_user(request, pk, need=Need.VISIT_VIEW)
    prescription = prescription_selectors.visit_prescription(attendance=attendance)
    if prescription is None or not prescription.line_list:
        raise Http404("This visit has no prescription.")
    data = prescription_pdf.render(prescription)
    _log_view(request, prescription, attendance.patient)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{prescription.label}.pdf"'
    return response
