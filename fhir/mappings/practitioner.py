"""Practitioner: a doctor (doctors.Doctor): code, name, work phone and e-mail, active.

Search: `identifier` (the doctor code, e.g. D0001) and `name` (part of the name, accent- and
case-blind: doctors.selectors.doctors_holding, the reports' doctor box)."""

from __future__ import annotations

from django.db.models import Q
from fhir.resources.R4B.practitioner import Practitioner

from doctors.models import Doctor
from doctors.selectors import doctors_holding
from fhir.access import TABLE as ACCESS
from fhir.access import Need
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings.common import human_name, meta, telecom, validated
from fhir.search import Token, any_of
from fhir.systems import doctor_code_system


def to_resource(doctor: Doctor) -> Practitioner:
    data = {
        "resourceType": "Practitioner",
        "id": str(doctor.pk),
        "meta": meta(doctor),
        "identifier": [{"use": "official", "system": doctor_code_system(), "value": doctor.code}],
        "active": doctor.is_active,
        "name": human_name(doctor.first_name, doctor.last_name, prefix="Dr"),
        "telecom": telecom(phone=doctor.phone, email=doctor.email, use="work"),
    }
    return validated(Practitioner, data)


def _identifier(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        ours = token.in_system(doctor_code_system()) and token.code
        return Q(code=token.code) if ours else Q(pk__in=[])

    for value in values:
        plan.where(any_of(value, match))


def _name(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda text: Q(pk__in=doctors_holding(text).values("pk"))))


TYPE = ResourceType(
    name="Practitioner",
    documentation=(
        "A doctor: code, name, work phone and e-mail, active. Every role reads it (DESIGN.md)."
    ),
    allows=lambda user: ACCESS.allows(user, Need.DOCTORS),
    refusal="Your role may not read doctors.",
    start=lambda: Plan(base=Doctor.objects.all()),
    get=lambda pk: Doctor.objects.filter(pk=pk).first(),
    to_resource=to_resource,
    params=(
        SearchParam(
            "identifier",
            "token",
            "The doctor code, exactly, e.g. D0001 (system: the hospital's doctor-code system, "
            "or none).",
            _identifier,
        ),
        SearchParam(
            "name",
            "string",
            "Part of the doctor's name (or code), accent- and case-blind.",
            _name,
        ),
    ),
)
