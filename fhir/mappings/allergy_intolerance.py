"""AllergyIntolerance: an allergy of the patient's history (patients.MedicalHistory of kind
allergy): the substance as written (`code.text`), active (allergies are never resolved here).

Search: `patient`. Doctors and administrators read it (the chart's table)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance

from fhir.kinds import ResourceType
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from patients.models import HistoryKind, MedicalHistory

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


def to_resource(entry: MedicalHistory) -> AllergyIntolerance:
    data: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(entry.pk),
        "meta": meta(entry),
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "code": {"text": entry.description},
        "patient": clinical.patient_reference(entry.patient_id),
        "encounter": clinical.encounter_reference(entry.attendance_id),
        "recordedDate": entry.recorded_on.isoformat(),
    }
    return AllergyIntolerance.model_validate(present(data))


TYPE = ResourceType(
    name="AllergyIntolerance",
    documentation=(
        "An allergy of the patient's history: the substance as written (code.text), active. "
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
