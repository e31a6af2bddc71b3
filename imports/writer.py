"""Carrying out a `Plan`: set-based writes through PostgreSQL's COPY (core.bulk).

New rows are COPYed straight into their table, with ids drawn from the table's sequence
beforehand when children need them; changed rows are COPYed into a temporary staging table and
applied with one `UPDATE ... FROM`.
So a sheet costs a handful of statements whatever its size. The caller holds the transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

from appointments.models import Appointment, AppointmentStatusChange, Attendance
from billing.models import MedicationCost
from core import audit, bulk
from core.actors import acting_user
from doctors.models import Doctor, Specialty
from doctors.services import doctor_code_block
from imports.changes import audit_entries
from imports.plan import Plan
from patients.models import MedicalHistory, Patient
from patients.services import mrn_block

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
_DOCTOR = ("first_name", "last_name", "specialty_id", "phone", "email", "legacy_id")
_PATIENT = (
    "first_name",
    "last_name",
    "sex",
    "phone",
    "email",
    "date_of_birth",
    "dob_is_estimated",
    "legacy_id",
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

    spec = plan.specialty_ids

    def doctor(values):
        first, last, specialty, phone, email, legacy = values
        return (first, last, spec[specialty], phone, email, legacy)

    if plan.doctor_update:
        say(f"Doctor: updating {len(plan.doctor_update):,}")
        rows = ((pk, *doctor(values)) for pk, values in plan.doctor_update)
        update(_Table(Doctor, _DOCTOR), rows, now=now)
    if plan.doctor_create:
        say(f"Doctor: creating {len(plan.doctor_create):,}")
        items = [
            (key, code, (r.first_name, r.last_name, r.specialty.lower(), r.phone, r.email, key))
            for key, code, r, _ in plan.doctor_create
        ]
        ids = _create(
            Doctor,
            "code",
            _DOCTOR,
            items,
            doctor,
            now=now,
            numbers=doctor_code_block,
            given=plan.given_codes,
        )
        plan.doctor_ids.update(ids)

    if plan.patient_update:
        say(f"Patient: updating {len(plan.patient_update):,}")
        table = _Table(Patient, _PATIENT)
        rows = ((pk, *values) for pk, values in plan.patient_update)
        update(table, rows, now=now, progress=progress, label="Patient")
    if plan.patient_create:
        say(f"Patient: creating {len(plan.patient_create):,}")
        items = [(key, mrn, (*values, key)) for key, mrn, values, _ in plan.patient_create]
        ids = _create(
            Patient,
            "mrn",
            _PATIENT,
            items,
            lambda values: values,
            now=now,
            numbers=mrn_block,
            given=plan.given_mrns,
            progress=progress,
        )
        plan.patient_ids.update(ids)

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
    say("Audit log: recording every record changed")
    audit.audit_record_stream(actor=by, entries=_audit(plan))


def _create(
    model: type[models.Model],
    number_field: str,
    columns: Sequence[str],
    items: list[tuple[str, str | None, tuple]],
    values_of: Callable[[tuple], tuple],
    *,
    now: datetime.datetime,
    numbers: Callable[..., list[str]],
    given: dict[str, str],
    progress: Progress | None = None,
) -> dict[str, int]:
    """Insert new doctors or patients, each given as (workbook ID, its number or None, values).
    Those with a number first; then the ones kept apart from a record in the system take the
    next numbers of the system's own sequence (`numbers(count=…)`), read once the first are in
    so that they never take a number the workbook gives. Returns workbook ID -> new id, and
    notes each kept-apart one's number in `given`."""
    table = _Table(model, (number_field, *columns))
    label = model.__name__
    own = [item for item in items if item[1] is not None]
    apart = [item for item in items if item[1] is None]
    ids: dict[str, int] = {}
    if own:
        rows = [(number, *values_of(values)) for _, number, values in own]
        new = insert(table, rows, now=now, with_ids=True, progress=progress, label=label)
        ids.update(zip((key for key, _, _ in own), new, strict=True))
    if apart:
        numbers_given = numbers(count=len(apart))
        rows = [
            (number, *values_of(values))
            for number, (_, _, values) in zip(numbers_given, apart, strict=True)
        ]
        new = insert(table, rows, now=now, with_ids=True)
        ids.update(zip((key for key, _, _ in apart), new, strict=True))
        given.update(zip((key for key, _, _ in apart), numbers_given, strict=True))
    return ids


def _audit(plan: Plan) -> Iterator[audit.AuditEntry]:
    """An UPDATE row per record changed; a CREATE row per record kept apart from one in the
    system ("keep both"), naming it, as a clerk's registration of a look-alike does."""
    yield from audit_entries(plan.changes.changes, source=plan.source)
    for key, code, row, kept_from in plan.doctor_create:
        if code is None:
            number = plan.given_codes[key]
            obj = Doctor(pk=plan.doctor_ids[key], code=number)
            obj.first_name, obj.last_name = row.first_name, row.last_name
            yield _kept_apart(obj, "code", number, key, kept_from, row.row)
    for key, mrn, values, kept_from in plan.patient_create:
        if mrn is None:
            number = plan.given_mrns[key]
            obj = Patient(pk=plan.patient_ids[key], mrn=number)
            obj.first_name, obj.last_name = values[0], values[1]
            yield _kept_apart(obj, "mrn", number, key, kept_from, None)


def _kept_apart(
    obj: models.Model, field: str, number: str, key: str, kept_from: str, row: int | None
) -> audit.AuditEntry:
    changes = {
        field: {"before": None, "after": number},
        "legacy_id": {"before": None, "after": key},
        "first_name": {"before": None, "after": obj.first_name},
        "last_name": {"before": None, "after": obj.last_name},
        "not_the_same_person_as": {"before": None, "after": [kept_from]},
        "resolution": {"before": None, "after": "keep both: confirmed by the clerk"},
    }
    return audit.AuditEntry(action=audit.Action.CREATE, obj=obj, changes=changes)
