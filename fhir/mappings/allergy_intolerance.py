"""AllergyIntolerance: an allergy of the patient's history (patients.MedicalHistory of kind
allergy): the substance as written (`code.text`), active (allergies are never resolved here);
when recorded, the reaction (`reaction.manifestation` text), its severity (`reaction.severity`:
life-threatening is severe there) and the criticality it implies (mild and moderate: low;
severe and life-threatening: high), and a drug class (`category` medication, the class as a
note): the allergy check's structured allergy (clinical.drug_classes).

Search: `patient`. Doctors and administrators read it (the chart's table)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance

from clinical.drug_classes import BY_KEY
from fhir.kinds import ResourceType
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from patients.models import HistoryKind, MedicalHistory

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CRITICALITY = {"mild": "low", "moderate": "low", "severe": "high", "life_threatening": "high"}
REACTION_SEVERITY = {
    "mild": "mild",
    "moderate": "moderate",
    "severe": "severe",
    "life_threatening": "severe",
}


def _reaction(entry: MedicalHistory) -> list[dict[str, Any]]:
    if not entry.reaction:
        return []
    reaction: dict[str, Any] = {"manifestation": [{"text": entry.reaction}]}
    if entry.severity:
        reaction["severity"] = REACTION_SEVERITY[entry.severity]
    if entry.severity == "life_threatening":
        reaction["description"] = "Life-threatening"
    return [reaction]


def drug_class_label(key: str) -> str:
    return BY_KEY[key].label if key in BY_KEY else key


def to_resource(entry: MedicalHistory) -> AllergyIntolerance:
    data: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(entry.pk),
        "meta": meta(entry),
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "code": {"text": entry.description},
        "criticality": CRITICALITY.get(entry.severity),
        "category": ["medication"] if entry.drug_class else None,
        "note": [{"text": f"Drug class: {drug_class_label(entry.drug_class)}"}]
        if entry.drug_class
        else None,
        "reaction": _reaction(entry),
        "patient": clinical.patient_reference(entry.patient_id),
        "encounter": clinical.encounter_reference(entry.attendance_id),
        "recordedDate": entry.recorded_on.isoformat(),
    }
    return AllergyIntolerance.model_validate(present(data))


TYPE = ResourceType(
    name="AllergyIntolerance",
    documentation=(
        "An allergy of the patient's history: the substance as written (code.text), active; "
        "the reaction (reaction.manifestation), its severity and criticality, and category "
        "medication with the drug class (note) when one is recorded. "
        "Doctors and administrators read it, as they read the chart; every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="allergies"),
    start=clinical.history_start(HistoryKind.ALLERGY),
    get=clinical.history_get(HistoryKind.ALLERGY),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=clinical.history_for_patient(HistoryKind.ALLERGY),
    params=(clinical.PATIENT,),
)
