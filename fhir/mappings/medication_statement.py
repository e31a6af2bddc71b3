"""MedicationStatement: a medication of the patient's history (patients.MedicalHistory of
kind medication): active until stopped (`ended_on`, then completed), the medication as
written (`medicationCodeableConcept.text`) with the price list's entry when it names one, the
quantity given as the dosage's text, and the visit it was given at.

Search: `patient`, `status` (active, completed). Doctors and administrators read every one;
billing clerks the billable ones (their billable-items page's rule); the front desk none."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from fhir.resources.R4B.medicationstatement import MedicationStatement

from fhir.errors import BadRequest
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of
from patients.models import HistoryKind, MedicalHistory

STATUS_SYSTEM = "http://hl7.org/fhir/CodeSystem/medication-statement-status"
# The value set's codes: active and completed are what the hospital records; the others are
# valid and match nothing.
STATUS_CODES = (
    "active",
    "completed",
    "entered-in-error",
    "intended",
    "stopped",
    "on-hold",
    "unknown",
    "not-taken",
)


def status(entry: MedicalHistory) -> str:
    return "active" if entry.ended_on is None else "completed"


def to_resource(entry: MedicalHistory) -> MedicationStatement:
    period = {"start": entry.recorded_on.isoformat()}
    if entry.ended_on is not None:
        period["end"] = entry.ended_on.isoformat()
    data: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(entry.pk),
        "meta": meta(entry),
        "status": status(entry),
        "medicationCodeableConcept": clinical.listed(
            entry.description, entry.medication, system="medications"
        ),
        "subject": clinical.patient_reference(entry.patient_id),
        "context": clinical.encounter_reference(entry.attendance_id),
        "effectivePeriod": period,
        "dateAsserted": entry.recorded_on.isoformat(),
        "dosage": [{"text": f"Quantity: {entry.quantity}"}],
    }
    return MedicationStatement.model_validate(present(data))


def _status(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in STATUS_CODES or not token.in_system(STATUS_SYSTEM):
            raise BadRequest(
                f"status: '{value[:40]}' is none of {', '.join(STATUS_CODES)} "
                f"(system {STATUS_SYSTEM})."
            )
        return {
            "active": Q(ended_on__isnull=True),
            "completed": Q(ended_on__isnull=False),
        }.get(token.code, Q(pk__in=[]))

    for value in values:
        plan.where(any_of(value, match))


TYPE = ResourceType(
    name="MedicationStatement",
    documentation=(
        "A medication of the patient's history: active, or completed once stopped "
        "(effectivePeriod), as written with the medication price list's entry when it names "
        "one, the quantity given (dosage text) and the visit. Doctors and administrators read "
        "all; billing clerks the billable ones; every read is audited."
    ),
    allows=clinical.reads_billable_items,
    refusal=clinical.BILLABLE_REFUSAL.format(what="medications"),
    start=clinical.history_start(HistoryKind.MEDICATION),
    get=clinical.history_get(HistoryKind.MEDICATION),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=clinical.history_for_patient(HistoryKind.MEDICATION),
    restrict=clinical.readable_history,
    params=(
        clinical.PATIENT,
        SearchParam(
            "status",
            "token",
            "active (not stopped) or completed (stopped); the other codes match nothing.",
            _status,
        ),
    ),
)
