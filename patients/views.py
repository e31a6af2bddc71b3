"""The front desk's patient pages: search, register (with duplicate warnings), edit,
reactivate. Who may do what is decided in `patients.access` only. The patient's page and
its deactivation show appointments, so they live a layer up, in `appointments.patient_pages`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from patients import selectors, services
from patients.access import Need, get_patient_for_user, has_need, require
from patients.forms import BOOKING_KEYS, DuplicateConfirmForm, PatientForm, PatientSearchForm
from patients.models import Patient


def booking_query(raw: str) -> str:
    """The booking choices carried through the patient search (only known keys)."""
    given = QueryDict(raw)
    return urlencode({key: given[key] for key in BOOKING_KEYS if given.get(key)})


def patient_list(request: HttpRequest) -> HttpResponse:
    """One search box; as you type (htmx) only the results are sent back."""
    require(request, Need.VIEW)
    form = PatientSearchForm(request.GET or None)
    query, inactive, number = "", False, 1
    if form.is_valid():
        query = form.cleaned_data["q"]
        inactive = form.cleaned_data["inactive"]
        number = form.cleaned_data["page"] or 1
    results = selectors.patient_search(query=query, include_inactive=inactive)
    context = {
        "form": form,
        "query": query,
        "parsed": selectors.parse_query(query),
        "page": selectors.page_of(results, number=number),
        "pick": request.GET.get("pick") == "book",
        "book_query": booking_query(request.GET.get("book", "")),
        "can_add": has_need(request.user, Need.ADD),
    }
    template = "patients/_patient_results.html" if request.htmx else "patients/patient_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def patient_create(request: HttpRequest) -> HttpResponse:
    """Register a patient; likely duplicates are listed and need a "not the same person"."""
    require(request, Need.ADD)
    form = PatientForm(request.POST or None, submit_label="Register patient")
    confirm = DuplicateConfirmForm(request.POST or None)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        duplicates = list(
            selectors.patient_duplicates(
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                phone=data["phone"],
            )
        )
        if not duplicates or confirm.confirms(duplicates):
            try:
                patient = services.patient_create(
                    data=data, by=request.user, not_duplicate_of=duplicates
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"Registered {patient.full_name} as {patient.mrn}.")
                return redirect("patients:patient_detail", pk=patient.pk)
        else:
            confirm = DuplicateConfirmForm(
                initial={"reviewed": ",".join(str(p.pk) for p in duplicates)}
            )
    context = {"form": form, "confirm_form": confirm, "duplicates": duplicates}
    return render(request, "patients/patient_form.html", context)


def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk, need=Need.CHANGE)
    form = PatientForm(request.POST or None, instance=patient, submit_label="Save changes")
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, data=form.data_for_service(), by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Saved the patient's details.")
            return redirect("patients:patient_detail", pk=pk)
    patient.refresh_from_db()  # the heading shows the stored name, not the edited one
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@require_POST
def patient_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk, need=Need.CHANGE)
    services.patient_reactivate(patient=patient, by=request.user)
    messages.success(request, f"{patient.full_name} ({patient.mrn}) is active again.")
    return redirect("patients:patient_detail", pk=pk)
