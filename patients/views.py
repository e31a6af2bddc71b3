"""The front desk's patient pages: search, register (with duplicate warnings), view, edit,
deactivate. Who may do what is decided in `get_patient_for_user` only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from appointments import selectors as appointment_selectors
from appointments.forms import BOOKING_KEYS
from hms.pagination import page_number
from patients import selectors, services
from patients.forms import DuplicateConfirmForm, PatientForm, PatientSearchForm
from patients.models import Patient

APPOINTMENTS_SHOWN = 20
_PERMISSIONS = {
    "view": "patients.view_patient",
    "add": "patients.add_patient",
    "change": "patients.change_patient",
}


def get_patient_for_user(request: HttpRequest, pk: int | None = None, *, action: str = "view"):
    """The patient `pk` (or None without one) if the user may `action` it (view, add or
    change): every role views demographics; the front desk and administrators register
    and change them. PermissionDenied or Http404 otherwise."""
    if not request.user.has_perm(_PERMISSIONS[action]):
        raise PermissionDenied("Your role cannot do this with patient records.")
    if pk is None:
        return None
    return get_object_or_404(Patient, pk=pk)


def booking_query(raw: str) -> str:
    """The booking choices carried through the patient search (only known keys)."""
    given = QueryDict(raw)
    return urlencode({key: given[key] for key in BOOKING_KEYS if given.get(key)})


def _form_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: per field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def patient_list(request: HttpRequest) -> HttpResponse:
    """One search box; as you type (htmx) only the results are sent back."""
    get_patient_for_user(request)
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
        "can_add": request.user.has_perm("patients.add_patient"),
    }
    template = "patients/_patient_results.html" if request.htmx else "patients/patient_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
        "can_change": request.user.has_perm("patients.change_patient"),
        "can_book": request.user.has_perm("appointments.add_appointment"),
    }
    return render(request, "patients/patient_detail.html", context)


def patient_create(request: HttpRequest) -> HttpResponse:
    """Register a patient; likely duplicates are listed and need a "not the same person"."""
    get_patient_for_user(request, action="add")
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
                    data=data, created_by=request.user, not_duplicate_of=duplicates
                )
            except ValidationError as error:
                _form_errors(form, error)
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
    patient = get_patient_for_user(request, pk, action="change")
    form = PatientForm(request.POST or None, instance=patient, submit_label="Save changes")
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient, data=form.data_for_service(), updated_by=request.user
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Saved the patient's details.")
            return redirect("patients:patient_detail", pk=pk)
    patient.refresh_from_db()  # the heading shows the stored name, not the edited one
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


def patient_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then hide the patient from search and booking (nothing is deleted)."""
    patient = get_patient_for_user(request, pk, action="change")
    if request.method == "POST":
        services.patient_deactivate(patient=patient, deactivated_by=request.user)
        messages.success(request, f"{patient.full_name} ({patient.mrn}) is deactivated.")
        return redirect("patients:patient_detail", pk=pk)
    upcoming = appointment_selectors.patient_appointments(patient=patient, upcoming=True)
    context = {"patient": patient, "upcoming_count": upcoming.filter(status="scheduled").count()}
    return render(request, "patients/patient_confirm_deactivate.html", context)


@require_POST
def patient_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk, action="change")
    services.patient_reactivate(patient=patient, reactivated_by=request.user)
    messages.success(request, f"{patient.full_name} ({patient.mrn}) is active again.")
    return redirect("patients:patient_detail", pk=pk)
