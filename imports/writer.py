"""Carrying out a `Plan`: set-based writes through PostgreSQL's COPY (core.bulk).

New rows are COPYed straight into their table, with ids drawn from the table's sequence
beforehand when children need them; changed rows are COPYed into a temporary staging table and
applied with one `UPDATE ... FROM`.
So a sheet costs a handful of statements whatever its size. The caller holds the transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

from appointments.models import Appointment, AppointmentStatusChange, Attendance
from billing.models import MedicationCost
from core import bulk
from core.actors import acting_user
from doctors.models import Doctor, Specialty
from imports.plan import Plan
from patients.models import MedicalHistory, Patient

Progress = Callable[[str], None]
IMPORT_NOTE = "Workbook import"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


class _Table:
    """Column bookkeeping for one model: the columns an import sets, and every other concrete
    column filled with its model default (so the COPY stays valid when fields are added)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = list(columns)
        stamps = ["created_at", "updated_at"]
        self.rest = [
            f
            for name, f in fields.items()
            if name not in self.columns
            and name not in stamps
            and not f.primary_key
            # A column with only a database default gets it from the database.
            and (f.has_default() or f.db_default is NOT_PROVIDED)
        ]
        self.insert_columns = [
            fields[c].column for c in self.columns + [f.attname for f in self.rest] + stamps
        ]
        self.update_columns = [fields[c].column for c in self.columns]

    def defaults(self) -> tuple[Any, ...]:
        return tuple(f.get_default() for f in self.rest)


def _written(progress: Progress | None, label: str) -> Callable[[int], None] | None:
    """What bulk.copy_rows calls every so many rows: "Patient: 100,000 rows written"."""
    if progress is None:
        return None
    return lambda count: progress(f"{label}: {count:,} rows written")


def _stage(cursor, table: _Table, columns: list[str]) -> str:
    stage = f"import_stage_{table.name}"
    cursor.execute(f"DROP TABLE IF EXISTS {_q(stage)}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_q(stage)} ON COMMIT DROP AS "
        f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(table.name)} WITH NO DATA"
    )
    return stage


def insert(
    table: _Table,
    rows: Sequence[tuple],
    *,
    now: datetime.datetime,
    with_ids: bool = False,
    progress: Progress | None = None,
    label: str = "",
) -> list[int]:
    """COPY `rows` (values for `table.columns`) straight into the table. With `with_ids`, the
    ids are drawn from the table's sequence first (one query) and returned in row order, so
    children can point at the new rows without reading them back."""
    rest = table.defaults()
    written = _written(progress, label)
    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor
        if not with_ids:
            full_rows = ((*row, *rest, now, now) for row in rows)
            bulk.copy_rows(cursor, table.name, table.insert_columns, full_rows, progress=written)
            return []
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table.name, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        full_rows = ((pk, *row, *rest, now, now) for pk, row in zip(ids, rows, strict=True))
        columns = ["id", *table.insert_columns]
        bulk.copy_rows(cursor, table.name, columns, full_rows, progress=written)
    return ids


def update(
    table: _Table,
    rows: Iterable[tuple],
    *,
    now: datetime.datetime,
    progress: Progress | None = None,
    label: str = "",
) -> int:
    """Apply `rows` (id, then values for `table.columns`) with one UPDATE ... FROM."""
    columns = ["id", *table.update_columns]
    with connection.wrap_database_errors, connection.cursor() as wrapper:
        cursor = wrapper.cursor
        stage = _stage(cursor, table, columns)
        count = bulk.copy_rows(cursor, stage, columns, rows, progress=_written(progress, label))
        if count:
            cursor.execute(f"ANALYZE {_q(stage)}")
            assignments = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in table.update_columns)
            cursor.execute(
                f"UPDATE {_q(table.name)} AS t SET {assignments}, {_q('updated_at')} = %s "
                f"FROM {_q(stage)} AS s WHERE t.id = s.id",
                [now],
            )
        cursor.execute(f"DROP TABLE {_q(stage)}")
    return count


_MEDICATION = ("name", "unit_cost")
_DOCTOR = ("code", "first_name", "last_name", "specialty_id", "phone", "email")
_PATIENT = (
    "mrn",
    "first_name",
    "last_name",
    "sex",
    "phone",
    "email",
    "date_of_birth",
    "dob_is_estimated",
)
_APPOINTMENT = ("legacy_id", "patient_id", "doctor_id", "start", "end", "status")
_ATTENDANCE = ("appointment_id", "patient_id", "checked_in_at", "started_at", "completed_at")
_HISTORY = (
    "legacy_id",
    "kind",
    "patient_id",
    "description",
    "medication_id",
    "recorded_on",
    "is_billable",
)
_CORRECTION = ("corrected_by_id", "correction_reason")
_STATUS_CHANGE = (
    "appointment_id",
    "from_status",
    "to_status",
    "old_start",
    "old_end",
    "new_start",
    "new_end",
    "changed_by_id",
    "note",
)


def write_plan(
    plan: Plan, *, by: Any, now: datetime.datetime, progress: Progress | None = None
) -> None:
    """Write everything `plan` holds, parents first. Runs inside the caller's transaction."""
    by_id = getattr(acting_user(by), "pk", None)

    def say(message: str) -> None:
        if progress:
            progress(message)

    if plan.specialty_create:
        say(f"Specialty: creating {len(plan.specialty_create):,}")
        table = _Table(Specialty, ("name",))
        names = list(plan.specialty_create.values())
        ids = insert(table, [(n,) for n in names], now=now, with_ids=True)
        plan.specialty_ids.update((n.lower(), pk) for n, pk in zip(names, ids, strict=True))

    table = _Table(MedicationCost, _MEDICATION)
    if plan.medication_update:
        say(f"Medication_Cost: updating {len(plan.medication_update):,}")
        update(table, ((pk, r.name, r.unit_cost) for pk, r in plan.medication_update), now=now)
    if plan.medication_create:
        say(f"Medication_Cost: creating {len(plan.medication_create):,}")
        rows = [(r.name, r.unit_cost) for r in plan.medication_create]
        ids = insert(table, rows, now=now, with_ids=True)
        plan.medication_ids.update((r[0].lower(), pk) for r, pk in zip(rows, ids, strict=True))

    table = _Table(Doctor, _DOCTOR)
    spec = plan.specialty_ids

    def doctor(r):
        return (r.code, r.first_name, r.last_name, spec[r.specialty.lower()], r.phone, r.email)

    if plan.doctor_update:
        say(f"Doctor: updating {len(plan.doctor_update):,}")
        update(table, ((pk, *doctor(r)) for pk, r in plan.doctor_update), now=now)
    if plan.doctor_create:
        say(f"Doctor: creating {len(plan.doctor_create):,}")
        rows = [doctor(r) for r in plan.doctor_create]
        ids = insert(table, rows, now=now, with_ids=True)
        plan.doctor_ids.update((r[0], pk) for r, pk in zip(rows, ids, strict=True))

    table = _Table(Patient, _PATIENT)

    def patient(r, born, estimated):
        return (r.mrn, r.first_name, r.last_name, r.sex, r.phone, r.email, born, estimated)

    if plan.patient_update:
        say(f"Patient: updating {len(plan.patient_update):,}")
        rows = ((pk, *patient(r, b, e)) for pk, r, b, e in plan.patient_update)
        update(table, rows, now=now, progress=progress, label="Patient")
    if plan.patient_create:
        say(f"Patient: creating {len(plan.patient_create):,}")
        rows = [patient(*item) for item in plan.patient_create]
        ids = insert(table, rows, now=now, with_ids=True, progress=progress, label="Patient")
        plan.patient_ids.update((r[0], pk) for r, pk in zip(rows, ids, strict=True))

    table = _Table(Appointment, _APPOINTMENT)
    patients, doctors = plan.patient_ids, plan.doctor_ids

    def appointment(r):
        return (r.legacy_id, patients[r.mrn], doctors[r.code], r.start, r.end, r.status)

    if plan.appointment_update:
        # Moves first, so that a new appointment may take a slot an old one leaves.
        say(f"Appointment: updating {len(plan.appointment_update):,}")
        rows = ((pk, *appointment(r)) for pk, r, _ in plan.appointment_update)
        update(table, rows, now=now, progress=progress, label="Appointment")
        changes = [
            (pk, old[0], r.status, old[1], old[2], r.start, r.end, by_id)
            for pk, r, old in plan.appointment_update
            if old != (r.status, r.start, r.end)
        ]
        if changes:
            insert(
                _Table(AppointmentStatusChange, _STATUS_CHANGE),
                ((*c, IMPORT_NOTE) for c in changes),
                now=now,
            )
    if plan.appointment_create:
        say(f"Appointment: creating {len(plan.appointment_create):,}")
        rows = [appointment(r) for r in plan.appointment_create]
        ids = insert(table, rows, now=now, with_ids=True, progress=progress, label="Appointment")
        plan.appointment_ids.update((r[0], pk) for r, pk in zip(rows, ids, strict=True))

    table = _Table(Attendance, _ATTENDANCE)
    appointments = plan.appointment_ids
    if plan.attendance_update:
        say(f"PatientsAttendAppointments: updating {len(plan.attendance_update):,}")
        rows = (
            (pk, appointments[key], patients[mrn], *times)
            for pk, key, mrn, *times in plan.attendance_update
        )
        update(table, rows, now=now, progress=progress, label="PatientsAttendAppointments")
    if plan.attendance_create:
        say(f"PatientsAttendAppointments: creating {len(plan.attendance_create):,}")
        rows = ((appointments[key], patients[mrn], *t) for key, mrn, *t in plan.attendance_create)
        insert(table, rows, now=now, progress=progress, label="PatientsAttendAppointments")

    table = _Table(MedicalHistory, _HISTORY)
    medications = plan.medication_ids

    def entry(legacy_id, kind, mrn, description, key, recorded_on):
        medication = medications[key] if key else None
        return (legacy_id, kind, patients[mrn], description, medication, recorded_on)

    if plan.history_update:
        say(f"MedicalHistory: updating {len(plan.history_update):,} entries")
        # is_billable is left as it is: an entry may have been billed or corrected since.
        # A database trigger keeps the version before as a revision; the new version is a
        # correction written by `by`, for the reason below.
        history_table = _Table(MedicalHistory, (*_HISTORY[:-1], *_CORRECTION))
        correction = (by_id, IMPORT_NOTE)
        rows = ((pk, *entry(*item), *correction) for pk, *item in plan.history_update)
        update(history_table, rows, now=now, progress=progress, label="MedicalHistory")
    if plan.history_create:
        say(f"MedicalHistory: creating {len(plan.history_create):,} entries")
        # Imported history is billable and unbilled (DESIGN.md: the billing rule).
        rows = ((*entry(*item), True) for item in plan.history_create)
        insert(table, rows, now=now, progress=progress, label="MedicalHistory")
