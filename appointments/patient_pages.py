"""A patient's page and its deactivation: demographics with the patient's appointments.

They list appointments, so they live in the appointments app (a layer above patients);
the project's URLconf serves them under the `patients` namespace with the other patient pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from appointments import access as appointment_access
from appointments import selectors as appointment_selectors
from core.pagination import page_number
from patients import selectors, services
from patients.access import Need, get_patient_for_user, has_need

APPOINTMENTS_SHOWN = 20


def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Demographics with upcoming and past appointments; nothing clinical."""
    patient = get_patient_for_user(request, pk)
    upcoming = appointment_selectors.patient_appointments(patient=patient, upcoming=True)
    past = appointment_selectors.patient_appointments(patient=patient, upcoming=False)
    past_page = selectors.page_of(
        past, number=page_number(request.GET.get("past"), maximum=9_999), size=APPOINTMENTS_SHOWN
    )
    upcoming = list(upcoming[: APPOINTMENTS_SHOWN + 1])
    context = {
        "patient": patient,
        "upcoming": upcoming[:APPOINTMENTS_SHOWN],
        "more_upcoming": len(upcoming) > APPOINTMENTS_SHOWN,
        "past_page": past_page,
        "shown": APPOINTMENTS_SHOWN,
        "can_change": has_need(request.user, Need.CHANGE),
        "can_book": appointment_access.has_need(request.user, appointment_access.Need.BOOK),
    }
    return render(request, "patients/patient_detail.html", context)


def patient_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then hide the patient from search and booking (nothing is deleted)."""
    patient = get_patient_for_user(request, pk, need=Need.CHANGE)
    if request.method == "POST":
        services.patient_deactivate(patient=patient, by=request.user)
        messages.success(request, f"{patient.full_name} ({patient.mrn}) is deactivated.")
        return redirect("patients:patient_detail", pk=pk)
    upcoming = appointment_selectors.patient_appointments(patient=patient, upcoming=True)
    context = {"patient": patient, "upcoming_count": upcoming.filter(status="scheduled").count()}
    return render(request, "patients/patient_confirm_deactivate.html", context)
