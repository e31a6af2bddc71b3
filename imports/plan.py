"""What an import would do: the checks that need the database, and the comparison of every row
with the record it maps to (created / updated / unchanged).

Cost: the records a workbook names are loaded with one query per `queries.CHUNK` keys (about
a dozen queries for half a million appointments), plus one query for the active appointments
of its doctors and patients in its time window (the overlap check). Nothing here writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import MedicationCost
from imports.changes import Change, ChangeLog, appointment_change, diff
from imports.matching import Conflict, age_on, date_of_birth
from imports.overlaps import check_overlaps
from imports.people import plan_doctors, plan_patients
from imports.queries import from_micros, load, sql_micros
from imports.workbook import (
    APPOINTMENT,
    ATTENDANCE,
    DOCTOR,
    HISTORY,
    PATIENT,
    AppointmentRow,
    DoctorRow,
    MedicationRow,
    Problem,
    Workbook,
)
from patients.models import HistoryKind, MedicalHistory

__all__ = ["Counts", "Plan", "age_on", "build_plan", "date_of_birth"]

# An appointment with an attendance: the visit happened (or is happening).
ATTENDED = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN})
STATUS_LABELS = dict(AppointmentStatus.choices)
MEDICATION = "Medication_Cost"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows of an unresolved conflict's ID (nothing written for them)
    # Not applied because the updates were not confirmed: the updates, and the new records
    # that need one of them (imports.holding).
    held: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class Plan:
    """The writes an import makes. Rows to create name their parents by legacy key (the parent
    may be new too); `*_ids` map keys to the ids of records that already exist, and grow as
    the writer inserts."""

    counts: dict[str, Counts]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    today: datetime.date = field(default_factory=timezone.localdate)

    # IDs the workbook may refer to: those on its own sheets and those already in the system.
    known_doctors: set[str] = field(default_factory=set)
    known_patients: set[str] = field(default_factory=set)
    # Lower-case medication name -> its spelling on the price list (workbook's, then system's).
    medication_names: dict[str, str] = field(default_factory=dict)

    specialty_ids: dict[str, int] = field(default_factory=dict)  # lower-case name -> id
    specialty_create: dict[str, str] = field(default_factory=dict)  # lower-case -> as written
    medication_ids: dict[str, int] = field(default_factory=dict)  # lower-case name -> id
    medication_create: list[MedicationRow] = field(default_factory=list)
    medication_update: list[tuple[int, MedicationRow]] = field(default_factory=list)
    # Workbook DoctorID / PatientID -> id of its record (of the new one, once written).
    doctor_ids: dict[str, int] = field(default_factory=dict)
    # (DoctorID, code: the ID, or None for the system's next code, row, code kept apart from)
    doctor_create: list[tuple[str, str | None, DoctorRow, str]] = field(default_factory=list)
    # (id, (first name, last name, lower-case specialty, phone, email, legacy id))
    doctor_update: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    patient_ids: dict[str, int] = field(default_factory=dict)
    # (PatientID, MRN: the ID, or None for the system's next MRN,
    #  (first name, last name, sex, phone, email, born, estimated), MRN kept apart from)
    patient_create: list[tuple[str, str | None, tuple[Any, ...], str]] = field(default_factory=list)
    # (id, (first name, last name, sex, phone, email, born, estimated, legacy id))
    patient_update: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    # IDs that may name the wrong record (imports.matching), and what is left out for them.
    conflicts: list[Conflict] = field(default_factory=list)
    skipped_doctors: set[str] = field(default_factory=set)
    skipped_patients: set[str] = field(default_factory=set)
    skipped_appointments: set[str] = field(default_factory=set)
    # PatientIDs whose new record needs an update of another (keep both: the ID moves over).
    needs_update: set[str] = field(default_factory=set)
    # Every update, field by field: the audit log's rows and the check page's list.
    changes: ChangeLog = field(default_factory=ChangeLog)
    source: str = ""  # the workbook's name, for the audit log
    # Workbook ID -> the code / MRN the writer gave a record kept apart ("keep both").
    given_codes: dict[str, str] = field(default_factory=dict)
    given_mrns: dict[str, str] = field(default_factory=dict)
    appointment_ids: dict[str, int] = field(default_factory=dict)
    appointment_create: list[AppointmentRow] = field(default_factory=list)
    # (id, row, the values before: status, start, end)
    appointment_update: list[tuple[int, AppointmentRow, tuple[str, Any, Any]]] = field(
        default_factory=list
    )
    # (appointment legacy id, patient mrn, checked_in_at, started_at, completed_at)
    attendance_create: list[tuple[str, str, Any, Any, Any]] = field(default_factory=list)
    attendance_update: list[tuple[int, str, str, Any, Any, Any]] = field(default_factory=list)
    # (legacy id, kind, patient mrn, description, medication key or "", recorded_on)
    history_create: list[tuple[str, str, str, str, str, datetime.date]] = field(
        default_factory=list
    )
    history_update: list[tuple[int, str, str, str, str, str, datetime.date]] = field(
        default_factory=list
    )


def _error(plan: Plan, sheet: str, row: int, column: str, message: str) -> None:
    plan.errors.append(Problem(sheet, row, column, message))


def _warn(plan: Plan, sheet: str, row: int | None, column: str, message: str) -> None:
    plan.warnings.append(Problem(sheet, row, column, message))


def build_plan(
    book: Workbook, counts: dict[str, Counts], resolutions: Mapping[str, str] | None = None
) -> Plan:
    """What importing `book` would do; `resolutions` are the clerk's answers to conflicts
    (`imports.matching.conflict_id` -> `Resolution`)."""
    plan = Plan(counts=counts, source=book.source)
    _plan_medications(plan, book)
    plan_doctors(plan, book, resolutions or {})
    plan_patients(plan, book, resolutions or {})
    visits = _plan_appointments(plan, book)
    _plan_attendances(plan, book, visits)
    _plan_history(plan, book)
    return plan


# --- Medication_Cost --------------------------------------------------------------------------
def _plan_medications(plan: Plan, book: Workbook) -> None:
    # The price list is small: load all of it (history rows match against every name on it).
    existing = {
        name.lower(): (pk, name, cost)
        for pk, name, cost in MedicationCost.objects.values_list("id", "name", "unit_cost")
    }
    plan.medication_ids = {key: pk for key, (pk, _, _) in existing.items()}
    counts = plan.counts["Medication_Cost"]
    for row in book.medications:
        current = existing.get(row.name.lower())
        if current is None:
            plan.medication_create.append(row)
            counts.created += 1
        elif (current[1], current[2]) != (row.name, row.unit_cost):
            plan.medication_update.append((current[0], row))
            counts.updated += 1
            fields = diff(
                {"name": current[1], "unit_cost": current[2]},
                {"name": row.name, "unit_cost": row.unit_cost},
            )
            change = Change(MEDICATION, row.name, MedicationCost, current[0], row.name, fields)
            change.row = row.row
            plan.changes.add(change)
        else:
            counts.unchanged += 1
    # Canonical spelling for history entries: the workbook's price list, then the system's.
    plan.medication_names = {key: name for key, (_, name, _) in existing.items()}
    plan.medication_names.update({row.name.lower(): row.name for row in book.medications})


# --- Appointment ------------------------------------------------------------------------------
def _plan_appointments(plan: Plan, book: Workbook) -> dict[str, Any]:
    """Returns legacy id -> what an attendance needs to know of the appointment."""
    keys = book.appointment_ids | {a.legacy_id for a in book.attendances}
    columns = (
        "legacy_id",
        "id",
        "patient_id",
        "doctor_id",
        sql_micros("start"),
        sql_micros("end"),
        "status",
    )
    existing = {values[0]: values for values in load(Appointment, "legacy_id", columns, keys)}
    plan.appointment_ids = {key: values[1] for key, values in existing.items()}
    counts = plan.counts["Appointment"]
    # Record id -> workbook ID, to show whose an appointment was before it changes.
    keys = (
        {pk: key for key, pk in plan.patient_ids.items()},
        {pk: key for key, pk in plan.doctor_ids.items()},
    )
    valid: list[AppointmentRow] = []
    for row in book.appointments:
        ok = True
        if row.mrn not in plan.known_patients and PATIENT.name not in book.unread:
            _error(plan, APPOINTMENT.name, row.row, "PatientID", f"unknown patient {row.mrn}")
            ok = False
        if row.code not in plan.known_doctors and DOCTOR.name not in book.unread:
            _error(plan, APPOINTMENT.name, row.row, "DoctorID", f"unknown doctor {row.code}")
            ok = False
        if not ok:
            continue
        if row.mrn in plan.skipped_patients or row.code in plan.skipped_doctors:
            plan.skipped_appointments.add(row.legacy_id)
            counts.skipped += 1
            continue
        valid.append(row)
        current = existing.get(row.legacy_id)
        if current is None:
            plan.appointment_create.append(row)
            counts.created += 1
            continue
        new = (
            plan.patient_ids.get(row.mrn),
            plan.doctor_ids.get(row.code),
            row.start_us,
            row.end_us,
            row.status,
        )
        if current[2:] != new:
            before = (current[6], from_micros(current[4]), from_micros(current[5]))
            plan.appointment_update.append((current[1], row, before))
            counts.updated += 1
            plan.changes.add(appointment_change(row, current, keys))
        else:
            counts.unchanged += 1
    plan.errors.extend(check_overlaps(book, valid, plan.doctor_ids, plan.patient_ids))

    # What attendances need: the appointment's patient, times and status, from the workbook
    # (it wins) or from the system.
    mrn_by_id = keys[0]
    visits: dict[str, Any] = {
        key: (mrn_by_id.get(v[2]), v[4], v[5], v[6], v[1]) for key, v in existing.items()
    }
    for row in book.appointments:
        if row.legacy_id in plan.skipped_appointments:
            visits.pop(row.legacy_id, None)
            continue
        visits[row.legacy_id] = (
            row.mrn,
            row.start_us,
            row.end_us,
            row.status,
            plan.appointment_ids.get(row.legacy_id),
        )
    return visits


def _diff(names: tuple[str, ...], before: Any, after: Any) -> dict[str, tuple[Any, Any]]:
    return diff(dict(zip(names, before, strict=True)), dict(zip(names, after, strict=True)))


def _moment(value: Any) -> Any:
    """Microseconds since the epoch as a datetime; anything else as it is."""
    return from_micros(value) if isinstance(value, int) else value


# --- PatientsAttendAppointments ---------------------------------------------------------------
def _plan_attendances(plan: Plan, book: Workbook, visits: dict[str, Any]) -> None:
    appointment_ids = [v[4] for v in visits.values() if v[4] is not None]
    columns = (
        "appointment_id",
        "id",
        "patient_id",
        sql_micros("checked_in_at"),
        sql_micros("started_at"),
        sql_micros("completed_at"),
    )
    existing = {
        values[0]: values for values in load(Attendance, "appointment_id", columns, appointment_ids)
    }
    counts = plan.counts["PatientsAttendAppointments"]
    patient_keys = {pk: key for key, pk in plan.patient_ids.items()}
    attended: set[str] = set()
    for row in book.attendances:
        attended.add(row.legacy_id)
        if row.legacy_id in plan.skipped_appointments or row.mrn in plan.skipped_patients:
            counts.skipped += 1
            continue
        visit = visits.get(row.legacy_id)
        if visit is None:
            # An AppointmentID on a broken Appointment row has its own error there.
            if row.legacy_id not in book.appointment_ids and APPOINTMENT.name not in book.unread:
                _error(
                    plan,
                    ATTENDANCE.name,
                    row.row,
                    "AppointmentID",
                    f"unknown appointment {row.legacy_id}",
                )
            continue
        mrn, start, end, status, appointment_id = visit
        if row.mrn != mrn:
            problem = (
                f"unknown patient {row.mrn}"
                if row.mrn not in plan.known_patients
                else f"appointment {row.legacy_id} is for {mrn or 'another patient'}, not {row.mrn}"
            )
            _error(plan, ATTENDANCE.name, row.row, "PatientID", problem)
            continue
        if status not in ATTENDED:
            _error(
                plan,
                ATTENDANCE.name,
                row.row,
                "AppointmentID",
                f"appointment {row.legacy_id} is {STATUS_LABELS[status]}; "
                "only a completed appointment was attended",
            )
            continue
        # Checked in at the start; a completed visit also started then and ended at the end.
        done = status == AppointmentStatus.COMPLETED
        times = (start, start if done else None, end if done else None)
        current = existing.get(appointment_id) if appointment_id is not None else None
        if current is None:
            plan.attendance_create.append((row.legacy_id, mrn, *map(from_micros, times)))
            counts.created += 1
        elif current[2:] != (plan.patient_ids.get(mrn), *times):
            update = (current[1], row.legacy_id, mrn, *map(from_micros, times))
            plan.attendance_update.append(update)
            counts.updated += 1
            names = ("patient", "checked_in_at", "started_at", "completed_at")
            before = (patient_keys.get(current[2], f"#{current[2]}"), *current[3:])
            after = (mrn, *times)
            fields = _diff(names, map(_moment, before), map(_moment, after))
            label = f"Visit of appointment {row.legacy_id}"
            change = Change(ATTENDANCE.name, row.legacy_id, Attendance, current[1], label, fields)
            change.patient_id, change.row = current[2], row.row
            plan.changes.add(change)
        else:
            counts.unchanged += 1
    for row in book.appointments:
        if (
            row.legacy_id not in plan.skipped_appointments
            and row.status == AppointmentStatus.COMPLETED
            and row.legacy_id not in attended
            and plan.appointment_ids.get(row.legacy_id) not in existing
        ):
            _warn(
                plan,
                APPOINTMENT.name,
                row.row,
                "Status",
                f"{row.legacy_id} is Completed but has no row in PatientsAttendAppointments "
                "(no visit recorded, no consultation billed)",
            )


# --- MedicalHistory ---------------------------------------------------------------------------
def _plan_history(plan: Plan, book: Workbook) -> None:
    columns = (
        "legacy_id",
        "kind",
        "id",
        "patient_id",
        "description",
        "medication_id",
        "recorded_on",
    )
    keys = {h.legacy_id for h in book.history}
    existing = {(v[0], v[1]): v for v in load(MedicalHistory, "legacy_id", columns, keys)}
    counts = plan.counts["MedicalHistory"]
    unpriced: dict[str, str] = {}
    patient_keys = {pk: key for key, pk in plan.patient_ids.items()}
    medication_names = {
        pk: plan.medication_names.get(key, key) for key, pk in plan.medication_ids.items()
    }
    for row in book.history:
        if row.mrn not in plan.known_patients and PATIENT.name not in book.unread:
            _error(plan, HISTORY.name, row.row, "PatientID", f"unknown patient {row.mrn}")
            continue
        if row.mrn in plan.skipped_patients:
            written = (row.condition, row.surgery, row.medication)
            counts.skipped += sum(1 for text in written if text)
            continue
        medication_key = row.medication.lower()
        medication = plan.medication_names.get(medication_key)
        if row.medication and medication is None:
            unpriced.setdefault(medication_key, row.medication)
        entries = (
            (HistoryKind.CONDITION, "Condition", row.condition, ""),
            (HistoryKind.SURGERY, "Surgeries", row.surgery, ""),
            (
                HistoryKind.MEDICATION,
                "Medication",
                medication or row.medication,
                medication_key if medication else "",
            ),
        )
        if not any(description for _, _, description, _ in entries):
            _warn(
                plan,
                HISTORY.name,
                row.row,
                "Condition",
                "no condition, surgery or medication: nothing to record",
            )
        for kind, column, description, key in entries:
            current = existing.get((row.legacy_id, kind))
            if not description:
                if current is not None:
                    _warn(
                        plan,
                        HISTORY.name,
                        row.row,
                        column,
                        f"now empty; the {kind} entry imported from {row.legacy_id} earlier is "
                        "kept (correct it in the patient's chart)",
                    )
                continue
            if current is None:
                plan.history_create.append(
                    (row.legacy_id, kind, row.mrn, description, key, row.recorded_on)
                )
                counts.created += 1
                continue
            new = (
                plan.patient_ids.get(row.mrn),
                description,
                plan.medication_ids.get(key) if key else None,
                row.recorded_on,
            )
            if current[3:] != new:
                plan.history_update.append(
                    (current[2], row.legacy_id, kind, row.mrn, description, key, row.recorded_on)
                )
                counts.updated += 1
                names = ("patient", "description", "medication", "recorded_on")
                before = (
                    patient_keys.get(current[3], f"#{current[3]}"),
                    current[4],
                    medication_names.get(current[5]),
                    current[6],
                )
                after = (row.mrn, description, medication if key else None, row.recorded_on)
                change = Change(
                    HISTORY.name,
                    f"{row.legacy_id} {kind}",
                    MedicalHistory,
                    current[2],
                    f"{row.legacy_id} {kind}: {current[4]}",
                    _diff(names, before, after),
                    patient_id=current[3],
                    row=row.row,
                )
                plan.changes.add(change)
            else:
                counts.unchanged += 1
    if unpriced:
        names = sorted(unpriced.values(), key=str.lower)
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        _warn(
            plan,
            HISTORY.name,
            None,
            "Medication",
            f"{len(names)} medication(s) not on the price list, recorded without a price "
            f"(they bill 0.00 until priced): {shown}",
        )
