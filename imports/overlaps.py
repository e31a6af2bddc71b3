"""The overlap check: no doctor and no patient has two active appointments at once.

Checked within the workbook and against the appointments already in the system, except those
the workbook itself replaces (same AppointmentID). The database's exclusion constraints would
refuse an overlap too, but only one at a time and without a row number; this check finds them
all before anything is written.

Cost: one query for the active appointments of the workbook's doctors and patients in its time
window; then a sort per doctor and per patient.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment
from imports.queries import from_micros, key_array, sql_micros
from imports.workbook import APPOINTMENT, AppointmentRow, Problem, Workbook

ACTIVE = frozenset(ACTIVE_STATUSES)


@dataclass(slots=True)
class _Booked:
    """An appointment already in the system that the workbook does not replace."""

    id: int
    legacy_id: str | None
    start: int  # microseconds since the epoch
    end: int


def check_overlaps(
    book: Workbook,
    rows: list[AppointmentRow],
    doctor_ids: dict[str, int],
    patient_ids: dict[str, int],
    replaced: set[str] | None = None,
) -> list[Problem]:
    """Problems for the workbook's appointments (`rows`) that overlap another active one of the
    same doctor or patient. `doctor_ids` and `patient_ids` map codes and MRNs to the ids of
    those already in the system; `replaced` are the AppointmentIDs whose appointment in the
    system the import rewrites (all the workbook's, unless said otherwise)."""
    active = [(r.start_us, r.end_us, r) for r in rows if r.status in ACTIVE]
    if not active:
        return []
    if replaced is None:
        replaced = book.appointment_ids
    booked_doctor, booked_patient = _booked(replaced, active, doctor_ids, patient_ids)
    by_doctor: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)
    by_patient: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)
    for item in active:
        by_doctor[item[2].code].append(item)
        by_patient[item[2].mrn].append(item)
    problems: list[Problem] = []
    reported: set[tuple[int, str]] = set()
    for what, groups, booked in (
        ("doctor", by_doctor, booked_doctor),
        ("patient", by_patient, booked_patient),
    ):
        for owner, items in groups.items():
            items = items + booked.get(owner, [])
            if len(items) < 2:
                continue
            # [start, end): back-to-back appointments do not overlap.
            items.sort(key=lambda item: (item[0], item[1]))
            latest = items[0]  # the one that ends last so far
            for item in items[1:]:
                if item[0] < latest[1]:
                    problem = _problem(reported, what, owner, item[2], latest[2])
                    if problem is not None:
                        problems.append(problem)
                if item[1] > latest[1]:
                    latest = item
    return problems


def _booked(
    replaced: set[str],
    active: list[tuple[int, int, AppointmentRow]],
    doctor_ids: dict[str, int],
    patient_ids: dict[str, int],
) -> tuple[dict[str, list], dict[str, list]]:
    """Active appointments in the system, in the workbook's time window, of its doctors and
    patients, by doctor code and by MRN, as (start, end, _Booked). One query."""
    doctors = sorted({doctor_ids[r.code] for _, _, r in active if r.code in doctor_ids})
    patients = sorted({patient_ids[r.mrn] for _, _, r in active if r.mrn in patient_ids})
    by_doctor: dict[str, list] = defaultdict(list)
    by_patient: dict[str, list] = defaultdict(list)
    if not doctors and not patients:
        return by_doctor, by_patient
    table = Appointment._meta.db_table
    doctor_array, doctor_params = key_array(doctors or [0])
    patient_array, patient_params = key_array(patients or [0])
    sql = (
        f"SELECT id, legacy_id, doctor_id, patient_id, {sql_micros('start')}, "
        f'{sql_micros("end")} FROM "{table}" '
        'WHERE status = ANY(%s) AND start < %s AND "end" > %s '
        f"AND (doctor_id = ANY({doctor_array}) OR patient_id = ANY({patient_array}))"
    )
    window_start = from_micros(min(item[0] for item in active))
    window_end = from_micros(max(item[1] for item in active))
    code_by_id = {pk: code for code, pk in doctor_ids.items()}
    mrn_by_id = {pk: mrn for mrn, pk in patient_ids.items()}
    with connection.cursor() as cursor:
        params = [list(ACTIVE_STATUSES), window_end, window_start]
        cursor.execute(sql, params + doctor_params + patient_params)
        for pk, legacy_id, doctor_id, patient_id, start, end in cursor.fetchall():
            if legacy_id is not None and legacy_id in replaced:
                continue  # the workbook's row replaces it
            booked = (start, end, _Booked(pk, legacy_id, start, end))
            if doctor_id in code_by_id:
                by_doctor[code_by_id[doctor_id]].append(booked)
            if patient_id in mrn_by_id:
                by_patient[mrn_by_id[patient_id]].append(booked)
    return by_doctor, by_patient


def _problem(
    reported: set[tuple[int, str]], what: str, owner: str, item: Any, other: Any
) -> Problem | None:
    if not isinstance(item, AppointmentRow):
        item, other = other, item  # report on the workbook's row
    if not isinstance(item, AppointmentRow) or (item.row, what) in reported:
        return None
    reported.add((item.row, what))
    if isinstance(other, AppointmentRow):
        where = f"appointment {other.legacy_id} (row {other.row})"
    else:
        tz = timezone.get_default_timezone()
        label = other.legacy_id or f"#{other.id}"
        start = from_micros(other.start).astimezone(tz)
        end = from_micros(other.end).astimezone(tz)
        where = f"appointment {label} already in the system ({start:%Y-%m-%d %H:%M}–{end:%H:%M})"
    return Problem(APPOINTMENT.name, item.row, "StartTime", f"{what} {owner} overlaps {where}")
