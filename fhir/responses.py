"""What the API sends: a resource built with `fhir.resources` (so it was validated against
the R4B model as it was made), serialised as JSON with the FHIR content type."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from fhir.errors import FhirError
from fhir.systems import CONTENT_TYPE


def resource_response(
    request: HttpRequest,
    resource: Resource,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """`resource` as the answer; indented when the query asks for `_pretty=true`."""
    pretty = request.GET.get("_pretty") == "true"
    body = resource.model_dump_json(indent=2 if pretty else None)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE, headers=headers)


def outcome(diagnostics: str, *, code: str, severity: str = "error") -> OperationOutcome:
    return OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
        }
    )


def error_response(request: HttpRequest, error: FhirError) -> HttpResponse:
    return resource_response(
        request,
        outcome(error.diagnostics, code=error.code),
        status=error.status,
        headers=error.headers(),
    )
