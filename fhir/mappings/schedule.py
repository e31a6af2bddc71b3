"""Schedule: a doctor's bookable time, one per doctor, with the doctor's id. `actor` is the
doctor's Practitioner, `serviceType` and `specialty` the doctor's specialty (as text),
`active` the doctor's. Its free slots are the Slot resources (fhir/mappings/slot.py) that
point at it; an inactive doctor's Schedule says `active: false` and has none.

No `planningHorizon`: a doctor's working hours are open-ended rows, so the horizon is
whatever window a Slot search asks for (at most fhir.mappings.slot.MAX_DAYS days).

Search: `actor` (a reference to the doctor's Practitioner, or its id), `specialty` (the
specialty's name, case-blind, as PractitionerRole's) and `active` (true or false)."""

from __future__ import annotations

from django.db.models import Q
from fhir.resources.R4B.schedule import Schedule

from doctors.models import Doctor
from fhir.access import TABLE as ACCESS
from fhir.access import Need
from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings.common import meta, present
from fhir.mappings.practitioner_role import specialty_condition
from fhir.search import Token, any_of, reference_id


def to_resource(doctor: Doctor) -> Schedule:
    specialty = [{"text": doctor.specialty.name}]
    data = {
        "resourceType": "Schedule",
        "id": str(doctor.pk),
        "meta": meta(doctor),
        "active": doctor.is_active,
        "serviceType": specialty,
        "specialty": specialty,
        "actor": [{"reference": f"Practitioner/{doctor.pk}", "display": str(doctor)}],
        "comment": f"Free slots: Slot?schedule=Schedule/{doctor.pk}",
    }
    return Schedule.model_validate(present(data))


def _actor(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        return Q(pk=reference_id(value, target="Practitioner", param="actor"))

    for value in values:
        plan.where(any_of(value, match))


def _specialty(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, specialty_condition))


def _active(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        code = Token.parse(value).code.lower()
        if code not in ("true", "false"):
            raise BadRequest(f"active: '{value[:40]}' is neither true nor false.")
        return Q(is_active=code == "true")

    for value in values:
        plan.where(any_of(value, match))


TYPE = ResourceType(
    name="Schedule",
    documentation=(
        "A doctor's schedule, one per doctor with the doctor's id: the doctor (actor), the "
        "specialty, active. Its free slots are the Slot resources. Every role that reads "
        "doctors reads it (DESIGN.md)."
    ),
    allows=lambda user: ACCESS.allows(user, Need.DOCTORS),
    refusal="Your role may not read doctors' schedules.",
    start=lambda: Plan(base=Doctor.objects.select_related("specialty")),
    get=lambda pk: Doctor.objects.select_related("specialty").filter(pk=pk).first(),
    to_resource=to_resource,
    params=(
        SearchParam(
            "actor",
            "reference",
            "The doctor: Practitioner/<id>, or the id.",
            _actor,
        ),
        SearchParam(
            "specialty",
            "token",
            "The specialty's name, case-blind, e.g. Cardiology (no system).",
            _specialty,
        ),
        SearchParam(
            "active",
            "token",
            "true or false: whether the doctor is active (an inactive one has no free slots).",
            _active,
        ),
    ),
)
