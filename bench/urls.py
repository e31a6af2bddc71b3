"""Every URL of the project, plus the baseline the benchmark compares pages against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hms.urls import urlpatterns as hms_urlpatterns
from patients.models import Patient


def baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """One primary-key SELECT behind the same middleware as every page (session, login,
    audit, CSP...): the floor a page's own work is measured against."""
    mrn = Patient.objects.filter(pk=pk).values_list("mrn", flat=True).first()
    return HttpResponse(mrn or "-", content_type="text/plain")


urlpatterns = [path("bench/baseline/<int:pk>/", baseline, name="bench_baseline"), *hms_urlpatterns]
