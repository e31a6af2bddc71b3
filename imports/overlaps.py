"""The overlap check: no doctor and no patient has two active appointments at once.

Checked within the workbook and against the appointments already in the system, except those
the workbook itself replaces (same AppointmentID). The database's exclusion constraints would
refuse an overlap too, but only one at a time and without a row number; this check finds them
all before anything is written.

Cost: one query per `CHUNK` doctors and per `CHUNK` patients for the active appointments in the
workbook's time window; then a sort per doctor and per patient.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment
from imports.workbook import APPOINTMENT, AppointmentRow, Problem, Workbook

CHUNK = 10_000
ACTIVE = frozenset(ACTIVE_STATUSES)


@dataclass(slots=True)
class _Booked:
    """An appointment already in the system that the workbook does not replace."""

    id: int
    legacy_id: str | None
    start: datetime.datetime
    end: datetime.datetime


def _chunks(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def check_overlaps(
    book: Workbook,
    rows: list[AppointmentRow],
    doctor_ids: dict[str, int],
    patient_ids: dict[str, int],
) -> list[Problem]:
    """Problems for the workbook's appointments (`rows`) that overlap another active one of the
    same doctor or patient. `doctor_ids` and `patient_ids` map codes and MRNs to the ids of
    those already in the system."""
    active = [r for r in rows if r.status in ACTIVE]
    if not active:
        return []
    booked_doctor, booked_patient = _booked(book, active, doctor_ids, patient_ids)
    by_doctor: dict[str, list[Any]] = defaultdict(list)
    by_patient: dict[str, list[Any]] = defaultdict(list)
    for row in active:
        by_doctor[row.code].append(row)
        by_patient[row.mrn].append(row)
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
            items.sort(key=lambda a: (a.start, a.end))
            latest = items[0]  # the one that ends last so far
            for item in items[1:]:
                if item.start < latest.end:
                    problem = _problem(reported, what, owner, item, latest)
                    if problem is not None:
                        problems.append(problem)
                if item.end > latest.end:
                    latest = item
    return problems


def _booked(
    book: Workbook,
    active: list[AppointmentRow],
    doctor_ids: dict[str, int],
    patient_ids: dict[str, int],
) -> tuple[dict[str, list[_Booked]], dict[str, list[_Booked]]]:
    """Active appointments in the system, in the workbook's time window, of its doctors and
    patients, by doctor code and by MRN."""
    window = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES,
        start__lt=max(r.end for r in active),
        end__gt=min(r.start for r in active),
    )
    code_by_id = {pk: code for code, pk in doctor_ids.items()}
    mrn_by_id = {pk: mrn for mrn, pk in patient_ids.items()}
    by_doctor: dict[str, list[_Booked]] = defaultdict(list)
    by_patient: dict[str, list[_Booked]] = defaultdict(list)
    seen: set[int] = set()
    for column, ids in (
        ("doctor_id", sorted({doctor_ids[r.code] for r in active if r.code in doctor_ids})),
        ("patient_id", sorted({patient_ids[r.mrn] for r in active if r.mrn in patient_ids})),
    ):
        for chunk in _chunks(ids):
            for pk, legacy_id, doctor_id, patient_id, start, end in window.filter(
                **{f"{column}__in": chunk}
            ).values_list("id", "legacy_id", "doctor_id", "patient_id", "start", "end"):
                if pk in seen or (legacy_id is not None and legacy_id in book.appointment_ids):
                    continue
                seen.add(pk)
                booked = _Booked(pk, legacy_id, start, end)
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
        start, end = other.start.astimezone(tz), other.end.astimezone(tz)
        where = f"appointment {label} already in the system ({start:%Y-%m-%d %H:%M}–{end:%H:%M})"
    return Problem(APPOINTMENT.name, item.row, "StartTime", f"{what} {owner} overlaps {where}")
