"""Patient: a patient's demographics (patients.Patient), read as the patient pages read them.

Search: `identifier` (the MRN), `name` (names that start with the words, accent- and
case-blind, in name order, paged by key: patients.name_start; when no name starts with them,
the front desk's typo-tolerant search, best match first, one page), `birthdate` (with eq, ge,
le, gt, lt), `gender`. Every read is audited as the chart is (fhir.views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.patient import Patient as PatientResource

from fhir.errors import BadRequest
from fhir.kinds import Keyset, Plan, ResourceType, SearchParam
from fhir.mappings.common import address, human_name, meta, telecom, validated
from fhir.search import Token, any_of, date_condition, split_or
from fhir.systems import GENDER, IDENTIFIER_TYPE, birthdate_estimated, mrn_system
from patients import access, selectors
from patients.models import Patient, Sex
from patients.name_start import KEY, patients_by_name_start
from patients.selectors import MIN_NAME_LENGTH

# A name search pages in name order: the name that starts with the first word, the other
# name, the id (patients.name_start).
BY_NAME = Keyset(columns=KEY)


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
    """Patients whose names start with the words given (every word must start a name or a
    part of one), in name order, a page at a time. When no name starts with them, the front
    desk's search (a misspelt name: "smiht" finds Smith), best match first, on one page."""
    words = []
    for value in values:
        alternatives = split_or(value)
        if len(alternatives) > 1:
            raise BadRequest("name: give one name (several name parameters must all match).")
        words.extend(word for alternative in alternatives for word in alternative.split())
    if not words:
        return

    def fetch(plan: Plan, after: list[Any] | None, limit: int) -> list[Patient]:
        within = plan.base.filter(*plan.conditions)
        rows = patients_by_name_start(words=words, within=within, after=after, limit=limit)
        if rows or after is not None or len("".join(words)) < MIN_NAME_LENGTH:
            return rows
        # Nothing starts with the words: close spellings, the best first, one page (no next
        # link: the page holds fewer rows than the limit).
        close = selectors.patient_search(query=" ".join(words), include_inactive=True)
        return [_spelt_close(row) for row in close.filter(*plan.conditions)[: limit - 1]]

    plan.keyset = BY_NAME
    plan.fetch = fetch
    plan.notes.append(_close_spellings)


def _spelt_close(patient: Patient) -> Patient:
    patient.spelt_close = True
    return patient


def _close_spellings(first_page: Sequence[Patient]) -> str | None:
    """A note when the page shows close spellings rather than names starting as asked."""
    if first_page and getattr(first_page[0], "spelt_close", False):
        return (
            "No patient's name starts with this name: these are the closest spellings, the "
            "best first (one page); check the spelling, or add birthdate or gender."
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
            "Words of the name: each starts the family or a given name (or a part of one), "
            "accent- and case-blind; in name order. When no name starts so, the closest "
            f"spellings (the front desk's search, at least {MIN_NAME_LENGTH} letters), best "
            "match first, on one page.",
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
