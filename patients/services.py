"""Writes on patients. Their medical history is written by clinical.services, its one writer.
Services name the acting user `by` (None for a system job)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core import audit
from patients.models import Patient

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
    "messages_opt_out",
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
    """The next free `P` + 7 digits number (see `mrn_block`)."""
    return mrn_block(count=1)[0]


def mrn_block(*, count: int) -> list[str]:
    """The next `count` free `P` + 7 digits numbers, for the caller's transaction to use.

    Race-free without a sequence (no migration allowed here): a transaction-level advisory
    lock serialises MRN assignment until the caller's transaction commits, so two concurrent
    registrations cannot read the same maximum. Cost: registrations queue behind each other
    for the length of their transactions (milliseconds), and the maximum is found by walking
    the unique MRN index backwards until the first `P0000000`-shaped value, which is
    immediate unless many legacy MRNs sort after the P numbers. The workbook import takes a
    block for the patients it keeps apart from a clash with an MRN the system gave.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MRN_LOCK_KEY])
        cursor.execute(
            "SELECT mrn FROM patients_patient WHERE mrn ~ %s ORDER BY mrn DESC LIMIT 1",
            [f"^{MRN_PREFIX}[0-9]{{{MRN_DIGITS}}}$"],
        )
        row = cursor.fetchone()
    first = int(row[0][len(MRN_PREFIX) :]) + 1 if row else 1
    if first + count > 10**MRN_DIGITS:
        raise ValidationError("Medical record numbers are exhausted; ask the administrator.")
    return [f"{MRN_PREFIX}{number:0{MRN_DIGITS}d}" for number in range(first, first + count)]


@transaction.atomic
def patient_create(
    *,
    by: Any,
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
    audit.audit_record(actor=by, action=audit.Action.CREATE, obj=patient, changes=changes)
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, data: Mapping[str, Any], by: Any) -> Patient:
    """Change a patient's demographics; the audit row holds each changed field before/after."""
    _check_fields(data, PATIENT_FIELDS)
    # Re-read under a row lock: the "before" values are the stored ones, and two editors
    # cannot silently overwrite each other's change.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data=data, by=by)


def _patient_save_changes(*, patient: Patient, data: Mapping[str, Any], by: Any) -> Patient:
    before = audit.snapshot(patient, _AUDITED_PATIENT_FIELDS)
    for name, value in data.items():
        setattr(patient, name, value)
    patient.full_clean()
    changes = audit.diff(before, audit.snapshot(patient, _AUDITED_PATIENT_FIELDS))
    if not changes:
        return patient
    patient.save()
    audit.audit_record(actor=by, action=audit.Action.UPDATE, obj=patient, changes=changes)
    return patient


@transaction.atomic
def patient_deactivate(*, patient: Patient, by: Any) -> Patient:
    """Hide a patient from search and booking; their history and invoices stay intact."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data={"is_active": False}, by=by)


@transaction.atomic
def patient_reactivate(*, patient: Patient, by: Any) -> Patient:
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _patient_save_changes(patient=patient, data={"is_active": True}, by=by)
