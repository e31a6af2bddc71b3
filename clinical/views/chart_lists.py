"""The chart's growing lists on pages of their own, a page at a time by key: a patient's
resolved conditions, past medications or surgeries, and visits (the chart shows the latest of
each). Same access as the chart; each page read is one audit row, as the chart's is."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinical import chart as reads
from clinical import selectors
from clinical.access import Need, get_chart_patient_for_user, has_need
from clinical.views._common import _log_view


@require_GET
def history_list(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in reads.GROWING:
        raise Http404("No such list of the chart.")
    patient = get_chart_patient_for_user(request, pk, need=Need.CHART)
    before = reads.read_key(request.GET.get("before"), moment=False)
    page = reads.history_page(patient=patient, name=name, before=before)
    _log_view(request, patient, patient)
    kind, _ = reads.GROWING[name]
    context = {
        "patient": patient,
        "allergies": selectors.patient_allergies(patient=patient),
        "name": name,
        "title": reads.GROWING_TITLES[name],
        "kind": kind,
        "page": page,
        "first_page": before is None,
        "can_correct": has_need(request.user, Need.HISTORY_CORRECT),
    }
    return render(request, "clinical/history_list.html", context)


@require_GET
def visit_list(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_chart_patient_for_user(request, pk, need=Need.CHART)
    before = reads.read_key(request.GET.get("before"), moment=True)
    page = reads.visits_page(patient=patient, before=before)
    _log_view(request, patient, patient)
    context = {
        "patient": patient,
        "allergies": selectors.patient_allergies(patient=patient),
        "page": page,
        "first_page": before is None,
    }
    return render(request, "clinical/visit_list.html", context)
