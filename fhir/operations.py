"""`GET /fhir/R4/Patient/<id>/$everything`: the patient and every resource of theirs the
caller's role may read, as one searchset Bundle.

Made from the registry: every type that sets `for_patient` (its rows of one patient, one
query) and whose role check allows the caller; the others are left out, not refused. The
Patient itself needs the demographics the Patient type needs (403 without). One query per
type, however long the record; one audit row naming the patient and the types returned."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from core.audit import audit_view
from fhir.bundles import searchset
from fhir.errors import BadRequest, NotFound
from fhir.registry import TYPES
from fhir.responses import resource_response
from fhir.search import record_id, split_or
from fhir.views import _base_url, _caller, _kind, _lenient, endpoint
from patients.models import Patient

# _type narrows the answer; the others say how it is written. No paging: one Bundle.
ACCEPTED = ("_type", "_format", "_pretty")


@endpoint
def everything(request: HttpRequest, resource_id: str) -> HttpResponse:
    caller = _caller(request)
    patient_type = _kind(caller, "Patient")
    wanted = _types(request)
    patient = patient_type.get(record_id(resource_id, type_name="Patient"))
    if patient is None:
        raise NotFound(f"There is no Patient with id {resource_id}.")
    resources = [patient_type.to_resource(patient)]
    returned = ["Patient"]
    for kind in TYPES.values():
        if kind.for_patient is None or not kind.allows(caller.user):
            continue
        if wanted is not None and kind.name not in wanted:
            continue
        rows = list(kind.for_user(caller.user).for_patient(patient))
        resources += [kind.to_resource(row) for row in rows]
        if rows:
            returned.append(kind.name)
    audit_view(
        actor=caller.user,
        patient_ids=[patient.pk],
        obj=patient,
        shown=Patient,
        changes={
            "api": "FHIR",
            "interaction": "operation",
            "operation": "$everything",
            "resource_types": returned,
        },
        request=request,
    )
    bundle = searchset(
        base_url=_base_url(request),
        resources=resources,
        self_link=request.build_absolute_uri(),
        next_link=None,
        total=len(resources),
        notes=[],
    )
    return resource_response(request, bundle)


def _types(request: HttpRequest) -> set[str] | None:
    """`_type`: the types wanted besides the Patient (comma-separated); None: all. Other
    parameters are refused (400) unless the request is lenient."""
    unknown = sorted(name for name in request.GET if name not in ACCEPTED)
    if unknown and not _lenient(request):
        raise BadRequest(
            f"$everything takes no parameter {', '.join(repr(n[:40]) for n in unknown)}: it "
            "answers the patient's whole record in one Bundle; _type (a comma-separated list "
            "of types) narrows it.",
            code="not-supported",
        )
    values = [value for value in request.GET.getlist("_type") if value.strip()]
    if not values:
        return None
    names = {name for value in values for name in split_or(value)}
    served = sorted(kind.name for kind in TYPES.values() if kind.for_patient is not None)
    strange = sorted(names - set(served) - {"Patient"})
    if strange:
        raise BadRequest(
            f"_type: {', '.join(repr(n[:40]) for n in strange)} is not a type of a patient's "
            f"record here; these are: Patient, {', '.join(served)}."
        )
    return names
