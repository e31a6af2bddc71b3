"""The prescription as a PDF: WeasyPrint through billing.pdf (its bundled fonts, its fetcher
that reads nothing else), on the printed documents' shared layout
(templates/billing/pdf/_document.html): the hospital's details from the billing settings."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from billing import pdf
from billing.models import BillingSettings
from clinical.prescriptions import Prescription

TEMPLATE = "clinical/pdf/prescription.html"


def context(prescription: Prescription) -> dict[str, Any]:
    attendance = prescription.attendance
    patient = attendance.patient
    header = pdf.header_for(patient=patient, settings=BillingSettings.load())
    return {
        "prescription": prescription,
        "lines": prescription.line_list,
        "hospital": header["hospital"],
        "patient": patient,
        "doctor": attendance.appointment.doctor,
        "written_on": timezone.localdate(prescription.created_at),
        "printed_on": timezone.localdate(),
        "fonts": pdf.font_urls(False),
    }


def render(prescription: Prescription) -> bytes:
    """A4 PDF of the prescription and its lines (`prescription.line_list`, as the selector
    `visit_prescription` gives it)."""
    return pdf.html_to_pdf(render_to_string(TEMPLATE, context(prescription)))
