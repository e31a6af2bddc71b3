"""MedicationRequest: a line of a visit's prescription (clinical.PrescriptionLine): the drug
as written (`medicationCodeableConcept.text`) with the price list's entry when it is priced,
the dose, route, frequency and duration (`dosageInstruction`), the quantity to dispense, the
prescription's number (`groupIdentifier`), the prescribing doctor (`requester`), and, when
the allergy check was overridden, the allergy shown and the reason typed (`note`).

Status: active while the course runs (from the day written, `duration_days` days), then
completed. Search: `patient`, `encounter`, `authoredon` (the day written). Doctors and
administrators read it, as they read the chart; billing clerks do not (a prescription is
clinical: doses, allergies, reasons): what they bill is the visit's MedicationStatement, which
the prescription becomes when the visit completes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.medicationrequest import MedicationRequest

from clinical import prescription_selectors
from clinical.prescriptions import PrescriptionLine
from fhir.kinds import Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import any_of, reference_id
from patients.models import Patient

UCUM = "http://unitsofmeasure.org"


def _written_on(line: PrescriptionLine) -> datetime.date:
    return timezone.localdate(line.created_at)


def status(line: PrescriptionLine, today: datetime.date | None = None) -> str:
    last_day = _written_on(line) + datetime.timedelta(days=line.duration_days - 1)
    return "active" if (today or timezone.localdate()) <= last_day else "completed"


def _plain(value: Decimal) -> Decimal:
    """500.000 → 500, 0.250 → 0.25 (no exponent: 5E+2 is not how a dose is written)."""
    return Decimal(format(value.normalize(), "f"))


def _dosage(line: PrescriptionLine) -> dict[str, Any]:
    text = (
        f"{line.dose_text} {line.get_route_display().lower()}, "
        f"{line.get_frequency_display().lower()}, for {line.duration_days} days"
    )
    if line.instructions:
        text += f". {line.instructions}"
    return present(
        {
            "text": text,
            "patientInstruction": line.instructions,
            "timing": {"code": {"text": line.get_frequency_display()}},
            "asNeededBoolean": line.frequency == "prn" or None,
            "route": {"text": line.get_route_display()},
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": line.dose.normalize(),
                        "unit": line.get_dose_unit_display(),
                    }
                }
            ],
        }
    )


def to_resource(line: PrescriptionLine) -> MedicationRequest:
    prescription = line.prescription
    attendance = prescription.attendance
    notes = []
    if line.override_reason:
        notes.append(
            {
                "text": f"Prescribed despite a recorded allergy ({line.allergy_alert}). "
                f"Reason: {line.override_reason}"
            }
        )
    data: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(line.pk),
        "meta": meta(line),
        "status": status(line),
        "intent": "order",
        "groupIdentifier": {
            "system": f"{settings.HMS_FHIR_SYSTEM_BASE}/prescriptions",
            "value": prescription.label,
        },
        "medicationCodeableConcept": clinical.listed(
            line.drug_name, line.medication, system="medications"
        ),
        "subject": clinical.patient_reference(attendance.patient_id),
        "encounter": clinical.encounter_reference(attendance.pk),
        "authoredOn": line.created_at.isoformat(),
        "requester": {"reference": f"Practitioner/{attendance.appointment.doctor_id}"},
        "dosageInstruction": [_dosage(line)],
        "dispenseRequest": {
            "quantity": {"value": line.quantity},
            "expectedSupplyDuration": {
                "value": line.duration_days,
                "unit": "days",
                "system": UCUM,
                "code": "d",
            },
        },
        "note": notes,
    }
    return MedicationRequest.model_validate(present(data))


def _patient(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        patient = reference_id(value, target="Patient", param="patient")
        return Q(prescription__attendance__patient_id=patient)

    for value in values:
        plan.where(any_of(value, match))


def _encounter(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        return Q(
            prescription__attendance_id=reference_id(value, target="Encounter", param="encounter")
        )

    for value in values:
        plan.where(any_of(value, match))


def _for_patient(patient: Patient) -> QuerySet[PrescriptionLine]:
    return (
        prescription_selectors.prescription_lines()
        .filter(prescription__attendance__patient=patient)
        .order_by("created_at", "pk")
    )


TYPE = ResourceType(
    name="MedicationRequest",
    documentation=(
        "A drug prescribed at a visit: the drug (with the medication price list's entry when "
        "priced), dose, route, frequency, duration, quantity, the prescription's number "
        "(groupIdentifier), the doctor, and any allergy override with its reason (note). "
        "Doctors and administrators read it; billing clerks read what it bills as "
        "MedicationStatement. Every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="prescriptions"),
    start=lambda: Plan(base=prescription_selectors.prescription_lines()),
    get=lambda pk: prescription_selectors.prescription_lines().filter(pk=pk).first(),
    to_resource=to_resource,
    patient_ids=lambda rows: [row.prescription.attendance.patient_id for row in rows],
    for_patient=_for_patient,
    params=(
        SearchParam("patient", "reference", "The patient: Patient/<id>, or the id.", _patient),
        SearchParam("encounter", "reference", "The visit: Encounter/<id>, or the id.", _encounter),
        clinical.date_param(
            "authoredon",
            "created_at__date",
            "The day it was prescribed (YYYY, YYYY-MM or YYYY-MM-DD; eq, ge, le, gt, lt).",
        ),
    ),
)
