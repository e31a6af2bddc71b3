"""The FHIR API under /fhir/: `R4/metadata`, read and search of each registered type (made
from fhir.registry, like the CapabilityStatement), `Patient/<id>/$everything`, and an
OperationOutcome 404 for any other path under /fhir/, so nothing there answers an HTML
page."""

from django.urls import path, re_path

from fhir import operations, views
from fhir.registry import TYPES

app_name = "fhir"
urlpatterns = [
    path("R4/metadata", views.metadata, name="metadata"),
    path(
        "R4/Patient/<str:resource_id>/$everything",
        operations.everything,
        name="patient_everything",
    ),
    *(
        path(
            f"R4/{kind.name}",
            views.search,
            {"type_name": kind.name},
            name=f"{kind.url_name}_search",
        )
        for kind in TYPES.values()
    ),
    *(
        path(
            f"R4/{kind.name}/<str:resource_id>",
            views.read,
            {"type_name": kind.name},
            name=f"{kind.url_name}_read",
        )
        for kind in TYPES.values()
    ),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
