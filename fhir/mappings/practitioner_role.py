"""PractitionerRole: a doctor's place in the hospital: their specialty (as text) and a
reference to the doctor's Practitioner. One per doctor, with the doctor's id.

Search: `specialty` (the specialty's name, case-blind) and `practitioner` (a reference to
the doctor's Practitioner, or its id)."""

from __future__ import annotations

from django.db.models import Q
from fhir.resources.R4B.practitionerrole import PractitionerRole

from doctors.models import Doctor
from fhir.access import TABLE as ACCESS
from fhir.access import Need
from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings.common import meta, present, telecom
from fhir.search import Token, any_of, reference_id


def to_resource(doctor: Doctor) -> PractitionerRole:
    data = {
        "resourceType": "PractitionerRole",
        "id": str(doctor.pk),
        "meta": meta(doctor),
        "active": doctor.is_active,
        "practitioner": {"reference": f"Practitioner/{doctor.pk}", "display": str(doctor)},
        "code": [{"text": "Doctor"}],
        "specialty": [{"text": doctor.specialty.name}],
        "telecom": telecom(phone=doctor.phone, email=doctor.email, use="work"),
    }
    return PractitionerRole.model_validate(present(data))


def specialty_condition(value: str) -> Q:
    """Doctors of the specialty a `specialty` token names (case-blind; Schedule's too)."""
    token = Token.parse(value)
    if token.system:
        raise BadRequest(
            "specialty: specialties have no code system here; give the specialty's name."
        )
    return Q(specialty__name__iexact=token.code)


def _specialty(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, specialty_condition))


def _practitioner(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        return Q(pk=reference_id(value, target="Practitioner", param="practitioner"))

    for value in values:
        plan.where(any_of(value, match))


TYPE = ResourceType(
    name="PractitionerRole",
    documentation=(
        "A doctor's role: the specialty (as text) and the doctor's Practitioner; one per "
        "doctor, with the doctor's id. Every role reads it (DESIGN.md)."
    ),
    allows=lambda user: ACCESS.allows(user, Need.DOCTORS),
    refusal="Your role may not read doctors.",
    start=lambda: Plan(base=Doctor.objects.select_related("specialty")),
    get=lambda pk: Doctor.objects.select_related("specialty").filter(pk=pk).first(),
    to_resource=to_resource,
    params=(
        SearchParam(
            "specialty",
            "token",
            "The specialty's name, case-blind, e.g. Cardiology (no system).",
            _specialty,
        ),
        SearchParam(
            "practitioner",
            "reference",
            "The doctor: Practitioner/<id>, or the id.",
            _practitioner,
        ),
    ),
)
