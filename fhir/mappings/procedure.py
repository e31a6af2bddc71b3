"""Procedure: a surgery or procedure of the patient's history (patients.MedicalHistory of
kind surgery), completed on the day it was recorded: the words as written (`code.text`), and
the procedure price list's entry when one was picked (its id as the code).

Search: `patient`, `date`. Doctors and administrators read every one; billing clerks the
billable ones (their billable-items page's rule, clinical.selectors); the front desk none."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.procedure import Procedure

from fhir.kinds import ResourceType
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from patients.models import HistoryKind, MedicalHistory


def to_resource(entry: MedicalHistory) -> Procedure:
    data: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(entry.pk),
        "meta": meta(entry),
        "status": "completed",
        "code": clinical.listed(entry.description, entry.procedure, system="procedures"),
        "subject": clinical.patient_reference(entry.patient_id),
        "encounter": clinical.encounter_reference(entry.attendance_id),
        "performedDateTime": entry.recorded_on.isoformat(),
    }
    return Procedure.model_validate(present(data))


TYPE = ResourceType(
    name="Procedure",
    documentation=(
        "A surgery or procedure of the patient's history, completed (performedDateTime: the "
        "day recorded), as written (code.text) with the procedure price list's entry when "
        "picked. Doctors and administrators read all; billing clerks the billable ones; every "
        "read is audited."
    ),
    allows=clinical.reads_billable_items,
    refusal=clinical.BILLABLE_REFUSAL.format(what="procedures"),
    start=clinical.history_start(HistoryKind.SURGERY),
    get=clinical.history_get(HistoryKind.SURGERY),
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=clinical.history_for_patient(HistoryKind.SURGERY),
    restrict=clinical.readable_history,
    params=(
        clinical.PATIENT,
        clinical.date_param(
            "date",
            "recorded_on",
            "The day performed (recorded): YYYY, YYYY-MM or YYYY-MM-DD, with a prefix eq "
            "(default), ge, le, gt or lt.",
        ),
    ),
)
