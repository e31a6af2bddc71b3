"""What the clinical types share (Encounter, Condition, Procedure, MedicationStatement,
AllergyIntolerance): who may read them (clinical.access, the chart's table), references to
the patient and the visit, the `patient` search parameter, and the history entries' reads
(clinical.selectors), so each type's module holds only its own mapping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from clinical import access, selectors
from fhir.kinds import Plan, SearchParam
from fhir.search import any_of, date_condition, reference_id
from patients.models import MedicalHistory, Patient

CHART_REFUSAL = (
    "Your role may not read clinical records ({what}): they are for doctors and "
    "administrators, as the chart is."
)
BILLABLE_REFUSAL = (
    "Your role may not read clinical records ({what}): they are for doctors and "
    "administrators, and their billable part for billing clerks."
)


def reads_chart(user: Any) -> bool:
    """Visits, conditions, allergies: whoever reads the whole chart (doctors, administrators)."""
    return access.has_need(user, access.Need.CHART)


def reads_billable_items(user: Any) -> bool:
    """Medications and surgeries: chart readers, and billing clerks (their billable part)."""
    return access.has_need(user, access.Need.BILLABLE_ITEMS)


def readable_history(user: Any, entries: QuerySet[MedicalHistory]) -> QuerySet[MedicalHistory]:
    return selectors.readable_history(user=user, entries=entries)


def price_list_system(name: str) -> str:
    """The system of a price-list entry's code (its record id): `medications` (billing.
    MedicationCost) or `procedures` (billing.ProcedureFee). The lists have no codes of their
    own; the id names the entry the hospital bills."""
    return f"{settings.HMS_FHIR_SYSTEM_BASE}/CodeSystem/{name}"


def listed(text: str, entry: Any, *, system: str) -> dict[str, Any]:
    """A CodeableConcept: the entry as written (`text`), and the price-list entry when the
    record names one (`entry`: a MedicationCost or ProcedureFee, or None)."""
    concept: dict[str, Any] = {"text": text}
    if entry is not None:
        concept["coding"] = [
            {"system": price_list_system(system), "code": str(entry.pk), "display": entry.name}
        ]
    return concept


def patient_reference(patient_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def encounter_reference(attendance_id: int | None) -> dict[str, str] | None:
    return None if attendance_id is None else {"reference": f"Encounter/{attendance_id}"}


def patient_ids(rows: Sequence[Any]) -> list[int]:
    return [row.patient_id for row in rows]


def _patient(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        return Q(patient_id=reference_id(value, target="Patient", param="patient"))

    for value in values:
        plan.where(any_of(value, match))


PATIENT = SearchParam(
    "patient",
    "reference",
    "The patient: Patient/<id>, or the id. An index range on the patient.",
    _patient,
)


def date_param(name: str, field: str, documentation: str) -> SearchParam:
    """A date parameter on a date column (YYYY, YYYY-MM, YYYY-MM-DD; eq, ge, le, gt, lt)."""

    def apply(plan: Plan, values: list[str]) -> None:
        for value in values:
            plan.where(any_of(value, lambda one: date_condition(field, one, param=name)))

    return SearchParam(name, "date", documentation, apply)


# --- history entries (patients.MedicalHistory) of one kind -------------------------------------


def history_start(kind: str) -> Callable[[], Plan]:
    return lambda: Plan(base=selectors.history_entries(kind=kind))


def history_get(kind: str) -> Callable[[int], MedicalHistory | None]:
    return lambda pk: selectors.history_entries(kind=kind).filter(pk=pk).first()


def history_for_patient(kind: str) -> Callable[[Patient], QuerySet[MedicalHistory]]:
    """A patient's entries of `kind`, oldest first: one query on the chart's index."""
    return lambda patient: (
        selectors.history_entries(kind=kind).filter(patient=patient).order_by("recorded_on", "pk")
    )
