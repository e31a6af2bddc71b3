"""The allergy check, written once for whatever reaches the patient: a drug prescribed
(clinical.prescribing), a medication given at the visit (clinical.services) and one added to
the history from the chart or corrected to another drug (clinical.history_services).

A drug matching one of the patient's allergies (clinical.drug_classes) is stopped with the
allergy shown, and goes on only with a reason typed; the written row keeps the allergy as
shown (`allergy_alert`) and the reason (`override_reason`), and so does its audit row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from clinical import drug_classes, selectors
from patients.models import MedicalHistory, Patient


def allergy_text(entry: MedicalHistory) -> str:
    """An allergy as the check shows it: "Penicillin (hives; severe)"."""
    severity = entry.get_severity_display() if entry.severity else ""
    details = [d for d in (entry.reaction, severity) if d]
    return f"{entry.description} ({'; '.join(details)})" if details else entry.description


class AllergyConflict(ValidationError):
    """The drug matches a recorded allergy and no override reason was given."""

    def __init__(self, allergies: list[MedicalHistory], *, going_on: str = "prescribe it") -> None:
        self.allergies = allergies
        named = "; ".join(allergy_text(entry) for entry in allergies)
        super().__init__(
            f"Allergy recorded: {named}. Type a reason to {going_on} anyway.", code="allergy"
        )


def allergy_conflicts(*, patient: Patient, drug: str) -> list[MedicalHistory]:
    """The patient's allergies `drug` matches (clinical.drug_classes). One query."""
    return [
        entry
        for entry in selectors.patient_allergies(patient=patient)
        if drug_classes.matches(drug=drug, substance=entry.description, drug_class=entry.drug_class)
    ]


def allergy_checked(
    *, patient: Patient, drug: str, override_reason: str, going_on: str = "prescribe it"
) -> tuple[str, str]:
    """The `allergy_alert` and `override_reason` a row giving `drug` to `patient` keeps: both
    empty when no allergy matches (a reason typed for nothing is not kept). Raises
    AllergyConflict, naming the allergies, when one matches and no reason is given."""
    conflicts = allergy_conflicts(patient=patient, drug=drug)
    if not conflicts:
        return "", ""
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise AllergyConflict(conflicts, going_on=going_on)
    return "; ".join(allergy_text(entry) for entry in conflicts), override_reason
