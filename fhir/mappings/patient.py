"""Patient: a patient's demographics (patients.Patient), read as the patient pages read them.

Search: `identifier` (the MRN), `name` (the front desk's search, patients.selectors.
patient_search: accent- and typo-tolerant, best match first), `birthdate` (with eq, ge, le,
gt, lt), `gender`. Every read is audited as the chart is (fhir.views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F, FloatField, Q
from django.db.models.expressions import ExpressionWrapper
from fhir.resources.R4B.patient import Patient as PatientResource

from fhir.errors import BadRequest
from fhir.kinds import Keyset, Plan, ResourceType, SearchParam
from fhir.mappings.common import address, human_name, meta, telecom, validated
from fhir.search import Token, any_of, date_condition, split_or
from fhir.systems import GENDER, IDENTIFIER_TYPE, birthdate_estimated, mrn_system
from patients import access, selectors
from patients.models import Patient, Sex
from patients.selectors import MAX_RANKED, MIN_NAME_LENGTH

# A name search pages in the front desk's order, best match first: rank descending as an
# ascending column, so the key is one row comparison.
RANKED = Keyset(columns=("fhir_unrank", "last_name", "first_name", "pk"))


def to_resource(patient: Patient) -> PatientResource:
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": meta(patient),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}], "text": "MRN"},
                "system": mrn_system(),
                "value": patient.mrn,
            }
        ],
        "active": patient.is_active,
        "name": human_name(patient.first_name, patient.last_name),
        "telecom": telecom(phone=patient.phone, email=patient.email, use="home"),
        "gender": patient.sex,
        "address": address(
            lines=(patient.address_line1, patient.address_line2),
            city=patient.city,
            region=patient.region,
            postal_code=patient.postal_code,
            country=patient.country,
        ),
        "contact": _contact(patient),
    }
    if patient.date_of_birth is not None:
        data["birthDate"] = patient.date_of_birth.isoformat()
        if patient.dob_is_estimated:
            data["_birthDate"] = {
                "extension": [{"url": birthdate_estimated(), "valueBoolean": True}]
            }
    return validated(PatientResource, data)


def _contact(patient: Patient) -> list[dict[str, Any]]:
    """The emergency contact, if the record has one."""
    name = patient.emergency_contact_name.strip()
    phone = patient.emergency_contact_phone.strip()
    if not (name or phone):
        return []
    contact: dict[str, Any] = {}
    if patient.emergency_contact_relationship.strip():
        contact["relationship"] = [{"text": patient.emergency_contact_relationship.strip()}]
    if name:
        contact["name"] = {"text": name}
    if phone:
        contact["telecom"] = [{"system": "phone", "value": phone}]
    return [contact]


# --- search -----------------------------------------------------------------------------------


def _identifier(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        return Q(mrn=token.code) if token.in_system(mrn_system()) and token.code else Q(pk__in=[])

    for value in values:
        plan.where(any_of(value, match))


def _name(plan: Plan, values: list[str]) -> None:
    """The front desk's search over the words given (every word must match); a name search
    ranks at most MAX_RANKED patients, as the front desk's does."""
    words = []
    for value in values:
        alternatives = split_or(value)
        if len(alternatives) > 1:
            raise BadRequest("name: give one name (several name parameters must all match).")
        words.extend(alternatives)
    query = " ".join(words)
    if len(query.replace(" ", "")) < MIN_NAME_LENGTH:
        raise BadRequest(f"name: give at least {MIN_NAME_LENGTH} letters of the name.")
    ranked = selectors.patient_search(query=query, include_inactive=True)
    plan.base = ranked.annotate(
        fhir_unrank=ExpressionWrapper(-F("rank"), output_field=FloatField())
    )
    plan.keyset = RANKED
    plan.notes.append(_capped)


def _capped(first_page: Sequence[Patient]) -> str | None:
    """A note when the name matched more patients than a search ranks (`matches`, the
    window count of patient_search)."""
    cap = selectors.MAX_RANKED
    if first_page and getattr(first_page[0], "matches", 0) >= cap:
        return (
            f"More patients match this name than a search reads ({cap}): these are "
            "the best matches; add birthdate or gender, or more of the name, to find others."
        )
    return None


def _birthdate(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(
            any_of(value, lambda one: date_condition("date_of_birth", one, param="birthdate"))
        )


def _gender(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in Sex.values or not token.in_system(GENDER):
            raise BadRequest(
                f"gender: '{value[:40]}' is none of {', '.join(Sex.values)} (system {GENDER})."
            )
        return Q(sex=token.code)

    for value in values:
        plan.where(any_of(value, match))


def _patient_ids(patients: Sequence[Patient]) -> list[int]:
    return [patient.pk for patient in patients]


TYPE = ResourceType(
    name="Patient",
    documentation=(
        "A patient's demographics: MRN, name, sex, date of birth (with an extension when it "
        "is estimated from an age), phone, e-mail, address, emergency contact, active. Every "
        "role reads it (DESIGN.md); every read is written to the audit log as the chart's are."
    ),
    allows=lambda user: access.has_need(user, access.Need.VIEW),
    refusal="Your role may not read patients.",
    start=lambda: Plan(base=Patient.objects.all()),
    get=lambda pk: Patient.objects.filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=_patient_ids,
    params=(
        SearchParam(
            "identifier",
            "token",
            "The MRN, exactly (system: the hospital's MRN system, or none).",
            _identifier,
        ),
        SearchParam(
            "name",
            "string",
            "Words of the name, accent- and case-blind and typo-tolerant (the front desk's "
            f"search), best match first; at least {MIN_NAME_LENGTH} letters; the "
            f"{MAX_RANKED} best matches at most.",
            _name,
        ),
        SearchParam(
            "birthdate",
            "date",
            "The date of birth: YYYY, YYYY-MM or YYYY-MM-DD, with a prefix eq (default), ge, "
            "le, gt or lt.",
            _birthdate,
        ),
        SearchParam(
            "gender",
            "token",
            f"The patient's sex: {', '.join(Sex.values)}.",
            _gender,
        ),
    ),
)
