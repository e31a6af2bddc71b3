"""What an import would do: the checks that need the database, and the comparison of every row
with the record it maps to (created / updated / unchanged).

Cost: the records a workbook names are loaded with one query per `queries.CHUNK` keys (about
a dozen queries for half a million appointments), plus one query for the active appointments
of its doctors and patients in its time window (the overlap check). Nothing here writes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import MedicationCost
from doctors.models import Doctor, Specialty
from imports.overlaps import check_overlaps
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
    PatientRow,
    Problem,
    Workbook,
)
from patients.models import HistoryKind, MedicalHistory, Patient

# An appointment with an attendance: the visit happened (or is happening).
ATTENDED = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CHECKED_IN})
STATUS_LABELS = dict(AppointmentStatus.choices)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

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
    doctor_ids: dict[str, int] = field(default_factory=dict)
    doctor_create: list[DoctorRow] = field(default_factory=list)
    doctor_update: list[tuple[int, DoctorRow]] = field(default_factory=list)
    patient_ids: dict[str, int] = field(default_factory=dict)
    # (row, date of birth, estimated)
    patient_create: list[tuple[PatientRow, datetime.date | None, bool]] = field(
        default_factory=list
    )
    patient_update: list[tuple[int, PatientRow, datetime.date | None, bool]] = field(
        default_factory=list
    )
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


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def date_of_birth(
    age: int | None, current: datetime.date | None, estimated: bool, today: datetime.date
) -> tuple[datetime.date | None, bool]:
    """The date of birth an `Age` gives, as (date, is_estimated).

    An Age is in years at the (unknown) time of export, so the estimate is 1 January of
    (this year − Age): the middle of the possible birth dates when the export is recent. A
    date of birth already on record is kept while it agrees with the Age — the person is Age
    or Age + 1 today, the workbook being up to a year old — so a precise date entered in the
    system is not overwritten by an estimate, and re-importing the same workbook next year
    changes nothing. A blank Age keeps what is on record.
    """
    if age is None:
        return current, estimated if current is not None else False
    if current is not None and age_on(current, today) in (age, age + 1):
        return current, estimated
    return datetime.date(today.year - age, 1, 1), True


def build_plan(book: Workbook, counts: dict[str, Counts]) -> Plan:
    plan = Plan(counts=counts)
    _plan_medications(plan, book)
    _plan_doctors(plan, book)
    patients = _plan_patients(plan, book)
    appointments = _plan_appointments(plan, book, patients)
    _plan_attendances(plan, book, appointments)
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
        else:
            counts.unchanged += 1
    # Canonical spelling for history entries: the workbook's price list, then the system's.
    plan.medication_names = {key: name for key, (_, name, _) in existing.items()}
    plan.medication_names.update({row.name.lower(): row.name for row in book.medications})


# --- Doctor (and Specialty) -------------------------------------------------------------------
def _plan_doctors(plan: Plan, book: Workbook) -> None:
    plan.specialty_ids = {
        name.lower(): pk for pk, name in Specialty.objects.values_list("id", "name")
    }
    codes = book.doctor_ids | {a.code for a in book.appointments}
    columns = ("code", "id", "first_name", "last_name", "specialty_id", "phone", "email")
    existing = {values[0]: values for values in load(Doctor, "code", columns, codes)}
    plan.doctor_ids = {code: values[1] for code, values in existing.items()}
    plan.known_doctors = book.doctor_ids | set(existing)
    counts = plan.counts["Doctor"]
    for row in book.doctors:
        key = row.specialty.lower()
        specialty_id = plan.specialty_ids.get(key)
        if specialty_id is None:
            plan.specialty_create.setdefault(key, row.specialty)
        current = existing.get(row.code)
        if current is None:
            plan.doctor_create.append(row)
            counts.created += 1
        elif current[2:] != (row.first_name, row.last_name, specialty_id, row.phone, row.email):
            plan.doctor_update.append((current[1], row))
            counts.updated += 1
        else:
            counts.unchanged += 1
    named = {row.specialty.lower() for row in book.doctors}
    plan.counts["Specialty"].created = len(plan.specialty_create)
    plan.counts["Specialty"].unchanged = len(named) - len(plan.specialty_create)


# --- Patient ----------------------------------------------------------------------------------
def _plan_patients(plan: Plan, book: Workbook) -> dict[str, tuple]:
    mrns = (
        book.patient_ids
        | {a.mrn for a in book.appointments}
        | {a.mrn for a in book.attendances}
        | {h.mrn for h in book.history}
    )
    columns = (
        "mrn",
        "id",
        "first_name",
        "last_name",
        "sex",
        "phone",
        "email",
        "date_of_birth",
        "dob_is_estimated",
    )
    existing = {values[0]: values for values in load(Patient, "mrn", columns, mrns)}
    plan.patient_ids = {mrn: values[1] for mrn, values in existing.items()}
    plan.known_patients = book.patient_ids | set(existing)
    counts = plan.counts["Patient"]
    for row in book.patients:
        current = existing.get(row.mrn)
        if current is None:
            born, estimated = date_of_birth(row.age, None, False, plan.today)
            plan.patient_create.append((row, born, estimated))
            counts.created += 1
            continue
        born, estimated = date_of_birth(row.age, current[7], current[8], plan.today)
        new = (row.first_name, row.last_name, row.sex, row.phone, row.email, born, estimated)
        if current[2:] != new:
            plan.patient_update.append((current[1], row, born, estimated))
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


# --- Appointment ------------------------------------------------------------------------------
def _plan_appointments(plan: Plan, book: Workbook, patients: dict[str, tuple]) -> dict[str, Any]:
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
        else:
            counts.unchanged += 1
    plan.errors.extend(check_overlaps(book, valid, plan.doctor_ids, plan.patient_ids))

    # What attendances need: the appointment's patient, times and status, from the workbook
    # (it wins) or from the system.
    mrn_by_id = {values[1]: mrn for mrn, values in patients.items()}
    visits: dict[str, Any] = {
        key: (mrn_by_id.get(v[2]), v[4], v[5], v[6], v[1]) for key, v in existing.items()
    }
    for row in book.appointments:
        visits[row.legacy_id] = (
            row.mrn,
            row.start_us,
            row.end_us,
            row.status,
            plan.appointment_ids.get(row.legacy_id),
        )
    return visits


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
    attended: set[str] = set()
    for row in book.attendances:
        attended.add(row.legacy_id)
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
        else:
            counts.unchanged += 1
    for row in book.appointments:
        if (
            row.status == AppointmentStatus.COMPLETED
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
    for row in book.history:
        if row.mrn not in plan.known_patients and PATIENT.name not in book.unread:
            _error(plan, HISTORY.name, row.row, "PatientID", f"unknown patient {row.mrn}")
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
