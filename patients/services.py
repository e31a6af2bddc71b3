"""Writes on patients and their medical history."""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core import audit
from patients.models import HistoryKind, MedicalHistory, Patient

# The fields a person edits on a patient (the MRN is assigned, `is_active` has its own service).
PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "dob_is_estimated",
    "sex",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
)
_AUDITED_PATIENT_FIELDS = ("mrn", *PATIENT_FIELDS, "is_active")

MRN_PREFIX = "P"
MRN_DIGITS = 7
# Any fixed 32-bit number naming "the MRN counter" for pg_advisory_xact_lock.
_MRN_LOCK_KEY = zlib.crc32(b"patients.patient.mrn")


def _check_fields(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown patient fields: {', '.join(sorted(unknown))}")


def _next_mrn() -> str:
    """The next free `P` + 7 digits number.

    Race-free without a sequence (no migration allowed here): a transaction-level advisory
    lock serialises MRN assignment until the caller's transaction commits, so two concurrent
    registrations cannot read the same maximum. Cost: registrations queue behind each other
    for the length of their transactions (milliseconds), and the maximum is found by walking
    the unique MRN index backwards until the first `P0000000`-shaped value, which is
    immediate unless many legacy MRNs sort after the P numbers.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MRN_LOCK_KEY])
        cursor.execute(
            "SELECT mrn FROM patients_patient WHERE mrn ~ %s ORDER BY mrn DESC LIMIT 1",
            [f"^{MRN_PREFIX}[0-9]{{{MRN_DIGITS}}}$"],
        )
        row = cursor.fetchone()
    number = int(row[0][len(MRN_PREFIX) :]) + 1 if row else 1
    if number >= 10**MRN_DIGITS:
        raise ValidationError("Medical record numbers are exhausted; ask the administrator.")
    return f"{MRN_PREFIX}{number:0{MRN_DIGITS}d}"


@transaction.atomic
def patient_create(
    *,
    created_by: Any,
    data: Mapping[str, Any] | None = None,
    mrn: str = "",
    not_duplicate_of: Iterable[Patient] = (),
    **fields: Any,
) -> Patient:
    """Register a patient. Pass the fields as keywords or as `data` (a form's cleaned_data).

    A blank `mrn` gets the next `P` number; an imported patient keeps the one given.
    `not_duplicate_of`: the likely duplicates the clerk was shown and confirmed to be other
    people; their MRNs go into the creation's audit row (`not_the_same_person_as`).
    """
    values = {**(data or {}), **fields}
    mrn = (values.pop("mrn", "") or mrn or "").strip()
    _check_fields(values, PATIENT_FIELDS)
    patient = Patient(**values)
    patient.mrn = mrn or _next_mrn()
    patient.full_clean()
    patient.save()
    changes = audit.created(patient, _AUDITED_PATIENT_FIELDS)
    others = sorted(other.mrn for other in not_duplicate_of)
    if others:
        changes["not_the_same_person_as"] = {"before": None, "after": others}
    audit.audit_record(actor=created_by, action=audit.Action.CREATE, obj=patient, changes=changes)
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, data: Mapping[str, Any], updated_by: Any) -> Patient:
    """Change a patient's demographics; the audit row holds each changed field before/after."""
    _check_fields(data, PATIENT_FIELDS)
    # Re-read under a row lock: the "before" values are the stored ones, and two editors
    # cannot silently overwrite each other's change.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data=data, actor=updated_by)


def _patient_save_changes(*, patient: Patient, data: Mapping[str, Any], actor: Any) -> Patient:
    before = audit.snapshot(patient, _AUDITED_PATIENT_FIELDS)
    for name, value in data.items():
        setattr(patient, name, value)
    patient.full_clean()
    changes = audit.diff(before, audit.snapshot(patient, _AUDITED_PATIENT_FIELDS))
    if not changes:
        return patient
    patient.save()
    audit.audit_record(actor=actor, action=audit.Action.UPDATE, obj=patient, changes=changes)
    return patient


@transaction.atomic
def patient_deactivate(*, patient: Patient, deactivated_by: Any) -> Patient:
    """Hide a patient from search and booking; their history and invoices stay intact."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data={"is_active": False}, actor=deactivated_by)


@transaction.atomic
def patient_reactivate(*, patient: Patient, reactivated_by: Any) -> Patient:
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data={"is_active": True}, actor=reactivated_by)


HISTORY_FIELDS = (
    "kind",
    "description",
    "medication",
    "recorded_on",
    "attendance",
    "is_billable",
    "legacy_id",
)


@transaction.atomic
def medical_history_record(
    *,
    patient: Patient,
    kind: str,
    description: str,
    recorded_by: Any,
    recorded_on: datetime.date | None = None,
    medication: Any = None,
    attendance: Any = None,
    is_billable: bool = True,
    legacy_id: str = "",
) -> MedicalHistory:
    """Add an entry to a patient's history (a condition, surgery, medication or allergy)."""
    entry = MedicalHistory(
        patient=patient,
        kind=kind,
        description=description,
        medication=medication,
        recorded_on=recorded_on or datetime.date.today(),
        attendance=attendance,
        is_billable=is_billable,
        legacy_id=legacy_id,
        recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None,
    )
    if kind != HistoryKind.MEDICATION and medication is not None:
        raise ValidationError({"medication": "Only a medication entry can name a medication."})
    entry.full_clean()
    entry.save()
    audit.audit_record(
        actor=recorded_by,
        action=audit.Action.CREATE,
        obj=entry,
        patient=patient,
        changes=audit.created(entry, HISTORY_FIELDS),
    )
    return entry


@transaction.atomic
def medical_history_update(
    *, entry: MedicalHistory, data: Mapping[str, Any], updated_by: Any, reason: str
) -> MedicalHistory:
    """Correct a history entry, saying why. The database trigger on patients_medicalhistory
    keeps the version before a change of content as a MedicalHistoryRevision (naming
    `updated_by` and `reason` as its author and why) and raises `version`; the audit log keeps
    the changed fields. Raises ValidationError when no reason is given."""
    unknown = set(data) - set(HISTORY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown history fields: {', '.join(sorted(unknown))}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": "Say why the entry is corrected."})
    entry = MedicalHistory.objects.select_for_update().get(pk=entry.pk)
    before = audit.snapshot(entry, HISTORY_FIELDS)
    for name, value in data.items():
        setattr(entry, name, value)
    # The trigger keeps these only with a change of content (not, say, of legacy_id alone).
    entry.corrected_by = updated_by if getattr(updated_by, "is_authenticated", False) else None
    entry.correction_reason = reason
    entry.full_clean()
    changes = audit.diff(before, audit.snapshot(entry, HISTORY_FIELDS))
    if changes:
        entry.save()
        # The trigger set the version, its time and (for no change of content) its author.
        entry.refresh_from_db(
            fields=["version", "corrected_at", "corrected_by", "correction_reason"]
        )
        audit.audit_record(actor=updated_by, action=audit.Action.UPDATE, obj=entry, changes=changes)
    return entry
