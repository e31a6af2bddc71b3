"""Condition: a condition of the patient's history (patients.MedicalHistory of kind
condition), active until it is resolved (`ended_on`). The words as the doctor wrote them are
`code.text`; coded diagnoses (ICD-10) come with another issue.

Search: `patient`, `clinical-status` (active, resolved), `recorded-date`. Doctors and
administrators read it (the chart's table); billing clerks and the front desk do not."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from fhir.resources.R4B.condition import Condition

from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of
from patients.models import HistoryKind, MedicalHistory

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
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
        "code": {"text": entry.description},
        "subject": clinical.patient_reference(entry.patient_id),
        "encounter": clinical.encounter_reference(entry.attendance_id),
        "recordedDate": entry.recorded_on.isoformat(),
        "abatementDateTime": entry.ended_on.isoformat() if entry.ended_on else None,
    }
    return Condition.model_validate(present(data))


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
        "A condition of the patient's history, as written (code.text), active or resolved "
        "(abatementDateTime), with the visit it was found at. Doctors and administrators "
        "read it, as they read the chart; every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="conditions"),
    start=clinical.history_start(HistoryKind.CONDITION),
    get=clinical.history_get(HistoryKind.CONDITION),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=clinical.history_for_patient(HistoryKind.CONDITION),
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
    ),
)
