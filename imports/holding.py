"""The two parts of an import the clerk confirms apart: its new records, and its updates to
records already in the system; and the fingerprint that proves the plan applied is the plan
the clerk read.

`without_updates` is the plan of the new records alone. It changes no record in the system,
so it leaves out, besides every update, the new records that need one ("held" with the
updates):

* a patient kept apart from the record imported with its PatientID ("keep both"): the ID moves
  to the new record, an update of the old one; and then the rows that use that ID;
* a visit (PatientsAttendAppointments) of an appointment the workbook changes: it records the
  visit of the appointment as changed;
* a new appointment that overlaps, for its doctor or patient, an appointment in the system
  that the updates would have moved or cancelled; and then its visit;
* a specialty only updated doctors name.

`plan_digest` is a SHA-256 of everything a plan writes and of the values it found before: the
check keeps one for each part, and the import refuses to write a plan whose digest differs
(the system changed in between), checking again instead.
Cost: one query when the workbook moves appointments (the overlaps of the new ones with the
system as it is), and one pass over the plan's rows per digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any

from imports.changes import ChangeLog
from imports.overlaps import check_overlaps
from imports.plan import Counts, Plan
from imports.workbook import Workbook


def without_updates(plan: Plan, book: Workbook) -> Plan:
    """The part of `plan` that only creates records: a new Plan whose counts say what it
    creates and what it holds back (`Counts.held`). `plan` itself is left as it is; both
    share their maps of IDs to record ids (only one of them is ever written)."""
    held_patients = set(plan.needs_update)
    updated = {row.legacy_id for _, row, _ in plan.appointment_update}
    appointments = [r for r in plan.appointment_create if r.mrn not in held_patients]
    if updated:
        # Against the system as it stays: every appointment in it keeps its slot. (Without
        # moves, the plan's own overlap check said the same already.)
        overlapping = check_overlaps(
            book, appointments, plan.doctor_ids, plan.patient_ids, replaced=set()
        )
        rows = {problem.row for problem in overlapping}
        appointments = [r for r in appointments if r.row not in rows]
    kept = {r.legacy_id for r in appointments}
    held_visits = updated | ({r.legacy_id for r in plan.appointment_create} - kept)
    doctors = plan.doctor_create
    named = {row.specialty.lower() for _, _, row, _ in doctors}
    alone = dataclasses.replace(
        plan,
        counts={},
        errors=list(plan.errors),
        warnings=list(plan.warnings),
        specialty_create={k: v for k, v in plan.specialty_create.items() if k in named},
        medication_update=[],
        doctor_update=[],
        patient_create=[p for p in plan.patient_create if p[0] not in held_patients],
        patient_update=[],
        changes=ChangeLog(),
        appointment_create=appointments,
        appointment_update=[],
        attendance_create=[
            a
            for a in plan.attendance_create
            if a[0] not in held_visits and a[1] not in held_patients
        ],
        attendance_update=[],
        history_create=[h for h in plan.history_create if h[2] not in held_patients],
        history_update=[],
    )
    created = {
        "Medication_Cost": len(alone.medication_create),
        "Specialty": len(alone.specialty_create),
        "Doctor": len(alone.doctor_create),
        "Patient": len(alone.patient_create),
        "Appointment": len(alone.appointment_create),
        "PatientsAttendAppointments": len(alone.attendance_create),
        "MedicalHistory": len(alone.history_create),
    }
    for sheet, before in plan.counts.items():
        now = created.get(sheet, before.created)
        alone.counts[sheet] = Counts(
            created=now,
            unchanged=before.unchanged,
            skipped=before.skipped,
            held=before.created - now + before.updated,
        )
    return alone


def _feed(digest: Any, label: str, items: Iterable[Any]) -> None:
    digest.update(f"\x1e{label}\x1f".encode())
    for item in items:
        digest.update(repr(item).encode())
        digest.update(b"\x1f")


def has_updates(plan: Plan) -> bool:
    """Whether `plan` changes a record in the system (else `without_updates` writes the
    same)."""
    lists = (
        plan.medication_update,
        plan.doctor_update,
        plan.patient_update,
        plan.appointment_update,
        plan.attendance_update,
        plan.history_update,
    )
    return bool(plan.needs_update or any(lists))


def plan_digest(plan: Plan) -> str:
    """A fingerprint of what `plan` writes, to which records, and of the values it found in
    them: equal for two plans exactly when they write the same."""
    digest = hashlib.sha256()
    _feed(digest, "specialties", sorted(plan.specialty_create.items()))
    _feed(digest, "doctor ids", sorted(plan.doctor_ids.items()))
    _feed(digest, "patient ids", sorted(plan.patient_ids.items()))
    _feed(digest, "medication ids", sorted(plan.medication_ids.items()))
    for name in (
        "medication_create",
        "medication_update",
        "doctor_create",
        "doctor_update",
        "patient_create",
        "patient_update",
        "appointment_create",
        "appointment_update",
        "attendance_create",
        "attendance_update",
        "history_create",
        "history_update",
    ):
        _feed(digest, name, getattr(plan, name))
    # The values found before each update (the lists above hold only the values after).
    _feed(
        digest,
        "changes",
        ((c.sheet, c.key, c.pk, sorted(c.fields.items())) for c in plan.changes.changes),
    )
    return digest.hexdigest()
