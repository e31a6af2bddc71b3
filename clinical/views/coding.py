"""Coding conditions with ICD-10-CM: the code picker's suggestions, and coding a condition
written in words ("Code it" on the chart), through the one history service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clinical import selectors, services
from clinical.access import Need, get_history_entry_for_user, require
from clinical.forms import HistoryCodeForm
from clinical.views._common import _log_view
from core.forms import add_service_error
from patients.icd10 import MIN_WORD_LENGTH, code_prefix
from patients.models import HistoryKind


@require_GET
def icd10_suggestions(request: HttpRequest) -> HttpResponse:
    """Codes for what was typed in a code picker (htmx): `?field=<its name>&<its name>=…`.
    The code set is no patient's data: no audit row; only those who record conditions ask."""
    require(request, Need.CHART)
    query = request.GET.get(request.GET.get("field", ""), request.GET.get("q", "")).strip()
    letters = sum(ch.isalnum() for ch in query)
    too_short = bool(query) and code_prefix(query) is None and letters < MIN_WORD_LENGTH
    codes = [] if too_short or not query else selectors.icd10_search(text=query, limit=20)
    context = {"query": query, "codes": codes, "too_short": too_short}
    return render(request, "clinical/_icd10_suggestions.html", context)


@require_http_methods(["GET", "POST"])
def history_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a condition its ICD-10-CM code (or another one). A correction like any other: the
    version before stays readable, its reason says which code it got."""
    entry = get_history_entry_for_user(request, pk, need=Need.HISTORY_CORRECT)
    if entry.kind != HistoryKind.CONDITION:
        raise Http404("Only a condition is coded.")
    form = HistoryCodeForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["icd10"]
        try:
            services.history_entry_correct(
                entry=entry,
                data={"icd10": code},
                reason=f"Coded as {code.code} (ICD-10-CM)",
                by=request.user,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{entry.description} coded as {code.code} {code.title}.")
            chart = reverse("clinical:chart", args=[entry.patient_id])
            return redirect(f"{chart}#entry-{entry.pk}")
    if request.method == "GET":
        _log_view(request, entry, entry.patient)
    context = {
        "patient": entry.patient,
        "allergies": selectors.patient_allergies(patient=entry.patient),
        "form": form,
        "entry": entry,
    }
    return render(request, "clinical/history_code.html", context)
