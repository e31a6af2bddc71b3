"""Planning the Doctor and Patient sheets: each row's record (`imports.matching`), conflicts
and the clerk's resolutions, creations and field-by-field updates.

Workbook IDs map to record ids through `plan.doctor_ids` and `plan.patient_ids`; an ID whose
conflict is not resolved maps to nothing and is in `plan.skipped_*`, so its other rows are left
out; an ID kept apart ("keep both") maps to the new record once the writer has made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from doctors.models import Doctor, Specialty
from imports.changes import Change, diff
from imports.matching import (
    PatientRecord,
    Resolution,
    choose,
    date_of_birth,
    doctor_conflict,
    doctor_reasons,
    load_doctors,
    load_patients,
    patient_conflict,
    patient_reasons,
)
from imports.workbook import Workbook
from patients.models import Patient

if TYPE_CHECKING:
    from imports.plan import Plan

SAME_PERSON_NOTE = "same person: confirmed by the clerk"
_DOCTOR_FIELDS = ("first_name", "last_name", "specialty", "phone", "email", "legacy_id")
_PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "sex",
    "phone",
    "email",
    "date_of_birth",
    "dob_is_estimated",
    "legacy_id",
)


def plan_doctors(plan: Plan, book: Workbook, resolutions: Mapping[str, str]) -> None:
    specialties = dict(Specialty.objects.values_list("id", "name"))
    plan.specialty_ids = {name.lower(): pk for pk, name in specialties.items()}
    codes = book.doctor_ids | {a.code for a in book.appointments}
    found = load_doctors(codes)
    plan.known_doctors = book.doctor_ids | found.ids()
    # An ID only the Appointment sheet uses names the doctor imported with it, or with that code.
    for code in codes - book.doctor_ids:
        record, _ = found.find(code)
        if record is not None:
            plan.doctor_ids[code] = record.id
    counts = plan.counts["Doctor"]
    named: set[str] = set()
    for row in book.doctors:
        record, linked = found.find(row.code)
        note = kept_apart_from = ""
        if record is not None and (reasons := doctor_reasons(record, linked, row)):
            conflict = doctor_conflict(record, row, reasons, specialties)
            plan.conflicts.append(conflict)
            chosen = choose(conflict, resolutions)
            if chosen == Resolution.SKIP:
                plan.skipped_doctors.add(row.code)
                counts.skipped += 1
                continue
            if chosen == Resolution.KEEP_BOTH:
                record, kept_apart_from = None, conflict.system["Code"]
            else:
                linked, note = True, SAME_PERSON_NOTE
        key = row.specialty.lower()
        named.add(key)
        if key not in plan.specialty_ids:
            plan.specialty_create.setdefault(key, row.specialty)
        if record is None:
            # Kept apart: the next code of the system's own sequence, given when written.
            code = None if kept_apart_from else row.code
            plan.doctor_create.append((row.code, code, row, kept_apart_from))
            counts.created += 1
            continue
        plan.doctor_ids[row.code] = record.id
        legacy = row.code if linked else record.legacy_id
        specialty_id = plan.specialty_ids.get(key)
        before = {
            "first_name": record.first_name,
            "last_name": record.last_name,
            "specialty": specialties.get(record.specialty_id),
            "phone": record.phone,
            "email": record.email,
            "legacy_id": record.legacy_id,
        }
        after = dict(
            zip(
                _DOCTOR_FIELDS,
                (
                    row.first_name,
                    row.last_name,
                    specialties[specialty_id] if specialty_id else row.specialty,
                    row.phone,
                    row.email,
                    legacy,
                ),
                strict=True,
            )
        )
        fields = diff(before, after)
        if not fields:
            counts.unchanged += 1
            continue
        values = (row.first_name, row.last_name, key, row.phone, row.email, legacy)
        plan.doctor_update.append((record.id, values))
        counts.updated += 1
        label = f"Dr {record.first_name} {record.last_name} ({record.code})"
        plan.changes.add(
            Change(
                "Doctor",
                row.code,
                Doctor,
                record.id,
                label,
                fields,
                resolution=note,
                row=row.row,
                user_id=record.user_id,
            )
        )
    plan.counts["Specialty"].created = len(plan.specialty_create)
    plan.counts["Specialty"].unchanged = len(named) - len(plan.specialty_create)


def plan_patients(plan: Plan, book: Workbook, resolutions: Mapping[str, str]) -> None:
    keys = (
        book.patient_ids
        | {a.mrn for a in book.appointments}
        | {a.mrn for a in book.attendances}
        | {h.mrn for h in book.history}
    )
    found = load_patients(keys)
    plan.known_patients = book.patient_ids | found.ids()
    counts = plan.counts["Patient"]
    today = plan.today
    for row in book.patients:
        record, linked = found.find(row.mrn)
        note = ""
        if record is not None and (reasons := patient_reasons(record, linked, row, today)):
            conflict = patient_conflict(record, linked, row, row.mrn, reasons, today)
            plan.conflicts.append(conflict)
            chosen = choose(conflict, resolutions)
            if chosen == Resolution.SKIP:
                plan.skipped_patients.add(row.mrn)
                counts.skipped += 1
                continue
            if chosen == Resolution.KEEP_BOTH:
                born, estimated = date_of_birth(row.age, None, False, today)
                values = (row.first_name, row.last_name, row.sex, row.phone, row.email)
                plan.patient_create.append((row.mrn, None, (*values, born, estimated), record.mrn))
                counts.created += 1
                if linked:
                    # The PatientID now names the new patient; this one keeps its MRN. (The
                    # new record needs that update: the ID is unique.)
                    plan.needs_update.add(row.mrn)
                    _update_patient(
                        plan,
                        record,
                        _current(record, legacy_id=None),
                        key=row.mrn,
                        row=row.row,
                        note=f"keep both: PatientID {row.mrn} now names another patient",
                    )
                continue
            note = SAME_PERSON_NOTE
        if record is None:
            born, estimated = date_of_birth(row.age, None, False, today)
            values = (row.first_name, row.last_name, row.sex, row.phone, row.email)
            plan.patient_create.append((row.mrn, row.mrn, (*values, born, estimated), ""))
            counts.created += 1
            continue
        plan.patient_ids[row.mrn] = record.id
        born, estimated = date_of_birth(
            row.age, record.date_of_birth, record.dob_is_estimated, today
        )
        after = (row.first_name, row.last_name, row.sex, row.phone, row.email, born, estimated)
        _update_patient(plan, record, (*after, row.mrn), key=row.mrn, row=row.row, note=note)

    # IDs only other sheets use: the patient imported with the ID, or (resolved) by MRN.
    for key in sorted(keys - book.patient_ids):
        record, linked = found.find(key)
        if record is None:
            continue  # reported as an unknown patient by the rows that use it
        if linked:
            plan.patient_ids[key] = record.id
            continue
        reasons = patient_reasons(record, False, None, today)
        conflict = patient_conflict(record, False, None, key, reasons, today)
        plan.conflicts.append(conflict)
        if choose(conflict, resolutions) == Resolution.SAME_PERSON:
            plan.patient_ids[key] = record.id
            update = _current(record, legacy_id=key)
            _update_patient(plan, record, update, key=key, row=None, note=SAME_PERSON_NOTE)
        else:
            plan.skipped_patients.add(key)


def _current(record: PatientRecord, *, legacy_id: str | None) -> tuple[Any, ...]:
    """The record's values as `_update_patient` takes them, with another legacy ID."""
    return (
        record.first_name,
        record.last_name,
        record.sex,
        record.phone,
        record.email,
        record.date_of_birth,
        record.dob_is_estimated,
        legacy_id,
    )


def _update_patient(
    plan: Plan,
    record: PatientRecord,
    values: tuple[Any, ...],
    *,
    key: str,
    row: int | None,
    note: str,
) -> None:
    """Plan `values` (in `_PATIENT_FIELDS` order) for `record` when any differs."""
    counts = plan.counts["Patient"]
    before = {name: getattr(record, name) for name in _PATIENT_FIELDS}
    fields = diff(before, dict(zip(_PATIENT_FIELDS, values, strict=True)))
    if not fields:
        counts.unchanged += 1
        return
    plan.patient_update.append((record.id, values))
    counts.updated += 1
    label = f"{record.first_name} {record.last_name} ({record.mrn})"
    plan.changes.add(
        Change("Patient", key, Patient, record.id, label, fields, resolution=note, row=row)
    )
