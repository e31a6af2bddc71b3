"""Condition: a condition of the patient's history (patients.MedicalHistory of kind
condition), active until it is resolved (`ended_on`). The words as the doctor wrote them are
`code.text`; a coded condition also has its ICD-10-CM code and title in `code.coding`.

Search: `patient`, `clinical-status` (active, resolved), `recorded-date`, `code` (ICD-10-CM,
an exact code). Doctors and
administrators read it (the chart's table); billing clerks and the front desk do not."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from fhir.resources.R4B.condition import Condition

from clinical import selectors
from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of
from patients.icd10 import SYSTEM as ICD10_SYSTEM
from patients.icd10 import code_prefix
from patients.models import HistoryKind, MedicalHistory

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION = HistoryKind.CONDITION
# The value set's codes: those the hospital records match; the others are valid, match nothing.
STATUS_CODES = ("active", "recurrence", "relapse", "inactive", "remission", "resolved")


def clinical_status(entry: MedicalHistory) -> str:
    return "active" if entry.ended_on is None else "resolved"


def to_resource(entry: MedicalHistory) -> Condition:
    status = clinical_status(entry)
    # Found at a visit: that visit's diagnosis; else an entry of the patient's problem list.
    category = "encounter-diagnosis" if entry.attendance_id else "problem-list-item"
    data: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(entry.pk),
        "meta": meta(entry),
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": status}]},
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": _code(entry),
        "subject": clinical.patient_reference(entry.patient_id),
        "encounter": clinical.encounter_reference(entry.attendance_id),
        "recordedDate": entry.recorded_on.isoformat(),
        "abatementDateTime": entry.ended_on.isoformat() if entry.ended_on else None,
    }
    return Condition.model_validate(present(data))


def _code(entry: MedicalHistory) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": entry.description}
    if entry.icd10_id is not None:
        concept["coding"] = [
            {"system": ICD10_SYSTEM, "code": entry.icd10_id, "display": entry.icd10.title}
        ]
    return concept


def _code_param(plan: Plan, values: list[str]) -> None:
    """`[system|]code`: conditions with this ICD-10-CM code (with or without its dot); another
    system matches nothing, and `system|` alone every coded condition."""

    def match(value: str) -> Q:
        token = Token.parse(value)
        if not token.in_system(ICD10_SYSTEM):
            return Q(pk__in=[])
        if not token.code:
            return Q(icd10__isnull=False)
        code = code_prefix(token.code)
        return Q(icd10_id=code) if code else Q(pk__in=[])

    for value in values:
        plan.where(any_of(value, match))


def _clinical_status(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in STATUS_CODES or not token.in_system(CLINICAL_STATUS):
            raise BadRequest(
                f"clinical-status: '{value[:40]}' is none of {', '.join(STATUS_CODES)} "
                f"(system {CLINICAL_STATUS})."
            )
        return {
            "active": Q(ended_on__isnull=True),
            "resolved": Q(ended_on__isnull=False),
        }.get(token.code, Q(pk__in=[]))

    for value in values:
        plan.where(any_of(value, match))


TYPE = ResourceType(
    name="Condition",
    documentation=(
        "A condition of the patient's history, as written (code.text) and, when coded, its "
        "ICD-10-CM code (code.coding), active or resolved (abatementDateTime), with the visit "
        "it was found at. Doctors and administrators "
        "read it, as they read the chart; every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="conditions"),
    start=lambda: Plan(base=selectors.history_entries(kind=CONDITION).select_related("icd10")),
    get=lambda pk: (
        selectors.history_entries(kind=CONDITION).select_related("icd10").filter(pk=pk).first()
    ),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=lambda patient: clinical.history_for_patient(CONDITION)(patient).select_related(
        "icd10"
    ),
    params=(
        clinical.PATIENT,
        SearchParam(
            "clinical-status",
            "token",
            "active (not resolved) or resolved; the other codes of condition-clinical match "
            "nothing.",
            _clinical_status,
        ),
        clinical.date_param(
            "recorded-date",
            "recorded_on",
            "The day it was recorded: YYYY, YYYY-MM or YYYY-MM-DD, with a prefix eq (default), "
            "ge, le, gt or lt.",
        ),
        SearchParam(
            "code",
            "token",
            f"The ICD-10-CM code ({ICD10_SYSTEM}|J45.909, or J45.909; the dot may be left "
            "out): an exact code, not its descendants. Conditions kept in words only have none.",
            _code_param,
        ),
    ),
)
