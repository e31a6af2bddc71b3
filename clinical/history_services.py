"""Writes of a patient's history entries: the one writer of `patients.MedicalHistory`.

The chart, the visit (clinical.services.visit_complete), prescriptions and the Django admin add
and correct entries through `history_entry_create` and `history_entry_correct` (re-exported by
clinical.services, the app's services). A medication added, or corrected to another drug, goes
through the allergy check (clinical.allergy_check). Every write leaves an audit row with the
changed fields before/after.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.models import Attendance
from billing.models import MedicationCost, ProcedureFee
from clinical.allergy_check import allergy_checked
from core import audit
from core.actors import acting_user
from patients.icd10 import Icd10Code
from patients.models import HistoryKind, MedicalHistory, Patient

# The content of a history entry a person may correct (its patient and kind stay fixed).
CORRECTABLE_FIELDS = (
    "description",
    "medication",
    "procedure",
    "quantity",
    "recorded_on",
    "ended_on",
    "icd10",
    "reaction",
    "severity",
    "drug_class",
)
HISTORY_FIELDS = (
    "kind",
    *CORRECTABLE_FIELDS,
    "attendance",
    "is_billable",
    "allergy_alert",
    "override_reason",
)
_AUDITED_HISTORY = (*HISTORY_FIELDS, "version", "correction_reason")


def _check_kind_fields(entry: MedicalHistory) -> None:
    errors = {}
    if entry.kind != HistoryKind.MEDICATION and entry.medication_id is not None:
        errors["medication"] = "Only a medication entry names a price-list medication."
    if entry.kind != HistoryKind.SURGERY and entry.procedure_id is not None:
        errors["procedure"] = "Only a surgery entry names a listed procedure."
    if entry.kind != HistoryKind.CONDITION and entry.icd10_id is not None:
        errors["icd10"] = "Only a condition carries an ICD-10-CM code."
    if entry.kind != HistoryKind.ALLERGY and (entry.reaction or entry.severity or entry.drug_class):
        errors["reaction"] = "Only an allergy has a reaction, severity or drug class."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def history_entry_create(
    *,
    patient: Patient,
    kind: str,
    description: str,
    by: Any,
    recorded_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    medication: MedicationCost | None = None,
    procedure: ProcedureFee | None = None,
    quantity: int = 1,
    is_billable: bool = False,
    attendance: Attendance | None = None,
    icd10: Icd10Code | None = None,
    reaction: str = "",
    severity: str = "",
    drug_class: str = "",
    override_reason: str = "",
    allergy_alert: str | None = None,
) -> MedicalHistory:
    """Add a condition, surgery, medication or allergy to a patient's history.

    `recorded_on` defaults to today in hospital time. Entries added from the chart are not
    billable by default: they record what happened elsewhere or before. What is given or done
    at a visit is billed through `visit_complete`, which records it here with its `attendance`.

    A medication is checked against the patient's allergies as a prescription is: it raises
    AllergyConflict, naming the allergy, when it matches one and no `override_reason` is
    given; with one, the entry keeps the allergy shown and the reason, and so does its audit
    row. A medication already checked where it was given (a visit item, a prescription line,
    recorded by `visit_complete`) passes the `allergy_alert` it kept (empty when none matched)
    and its reason, and is not checked again.
    """
    description = (description or "").strip()
    if allergy_alert is None:
        allergy_alert = ""
        if kind == HistoryKind.MEDICATION and description:
            allergy_alert, override_reason = allergy_checked(
                patient=patient,
                drug=description,
                override_reason=override_reason,
                going_on="record it",
            )
    entry = MedicalHistory(
        patient=patient,
        kind=kind,
        description=description,
        recorded_on=recorded_on or timezone.localdate(),
        ended_on=ended_on,
        medication=medication,
        procedure=procedure,
        quantity=quantity,
        is_billable=is_billable,
        attendance=attendance,
        recorded_by=acting_user(by),
        icd10=icd10,
        reaction=(reaction or "").strip(),
        severity=severity or "",
        drug_class=drug_class or "",
        allergy_alert=allergy_alert,
        override_reason=(override_reason or "").strip() if allergy_alert else "",
    )
    _check_kind_fields(entry)
    # The alert and its reason come together (allergy_checked, or the visit's row that kept
    # them), and the database's CHECK holds them together: full_clean spends no query on it.
    entry.full_clean(exclude=["allergy_alert"])
    entry.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=entry,
        patient=patient,
        changes=audit.created(entry, HISTORY_FIELDS),
    )
    return entry


@transaction.atomic
def history_entry_correct(
    *,
    entry: MedicalHistory,
    data: Mapping[str, Any],
    reason: str,
    by: Any,
    override_reason: str = "",
) -> MedicalHistory:
    """Correct an entry. The version before the correction stays readable: the database
    trigger on patients_medicalhistory copies it into MedicalHistoryRevision and raises
    `version`. Raises ValidationError when nothing changes or no reason is given.

    A medication corrected to another drug (its description or price-list medication changed)
    is checked against the patient's allergies as one added is: AllergyConflict, naming the
    allergy, when the new drug matches one and no `override_reason` is given; with one, the
    entry keeps the new alert and reason; a drug matching nothing clears the ones it kept.
    The audit row records the change of alert and reason. A correction leaving the drug as it
    was keeps the alert and reason of the version before.
    """
    unknown = set(data) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise TypeError(f"Fields that cannot be corrected: {', '.join(sorted(unknown))}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the entry is corrected."})
    entry = MedicalHistory.objects.select_for_update().get(pk=entry.pk)
    before = audit.snapshot(entry, _AUDITED_HISTORY)
    for name, value in data.items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    after = audit.snapshot(entry, _AUDITED_HISTORY)
    if audit.diff(before, after) == {}:
        raise ValidationError("Nothing was changed, so there is nothing to correct.")
    if entry.kind == HistoryKind.MEDICATION and any(
        before[name] != after[name] for name in ("description", "medication")
    ):
        _recheck_allergies(entry, override_reason)
    entry.corrected_by = acting_user(by)
    entry.correction_reason = reason
    _check_kind_fields(entry)
    # As on an entry added: allergy_checked keeps the alert and its reason together.
    entry.full_clean(exclude=["allergy_alert"])
    entry.save()
    # The trigger set the new version and its time.
    entry.refresh_from_db(fields=["version", "corrected_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=entry,
        patient=entry.patient,
        changes=audit.diff(before, audit.snapshot(entry, _AUDITED_HISTORY)),
    )
    return entry


def _recheck_allergies(entry: MedicalHistory, override_reason: str) -> None:
    """Check the drug a medication entry is corrected to, under the name it is recorded by
    and its price-list name (the admin may change one without the other); keep what the
    check gives (both empty when no allergy matches)."""
    names = [entry.description]
    if entry.medication is not None and entry.medication.name.strip() not in names:
        names.append(entry.medication.name.strip())
    alert = ""
    for drug in filter(None, names):
        drug_alert, _ = allergy_checked(
            patient=entry.patient,
            drug=drug,
            override_reason=override_reason,
            going_on="record it",
        )
        if drug_alert and drug_alert not in alert:
            alert = f"{alert}; {drug_alert}" if alert else drug_alert
    entry.allergy_alert = alert
    # allergy_checked refused an alert without a reason: when there is one, so is the reason.
    entry.override_reason = (override_reason or "").strip() if alert else ""
