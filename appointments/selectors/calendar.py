"""Calendar grids: the front desk's day (a column per doctor, every doctor of the day at once)
and a doctor's week (a column per day), with hours, time off and appointments laid on one time
grid; and the day turned around, a list per doctor, for small screens."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors.availability import (
    Slot,
    _Busy,
    _valid_on,
    bookable_doctors,
    local_date,
)
from appointments.selectors.lists import _day_bounds, appointments_between
from appointments.waitlist.selectors import day_offers, offered_cells
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours

# Up to this many columns a grid has room for names; beyond it the day is drawn compact
# (narrow columns headed by a short name, patients' initials, the rest in tooltips), so that
# 40 doctors fit a 1280-pixel screen.
WIDE_COLUMNS = 12


def _grid_appointments(
    *, day_from: datetime.date, day_to: datetime.date, doctors: Sequence[Doctor]
) -> list[Appointment]:
    """The calendar's appointments with only what a cell shows (times, status, reason, the
    patient's name); each gets its doctor from `doctors`, so no join. One query."""
    by_pk = {doctor.pk: doctor for doctor in doctors}
    appointments = list(
        appointments_between(day_from=day_from, day_to=day_to, doctor_ids=by_pk)
        .select_related(None)
        .select_related("patient")
        .only(
            "start",
            "end",
            "status",
            "reason",
            "cancel_reason",
            "doctor_id",
            "patient__first_name",
            "patient__last_name",
        )
        .order_by("start", "pk")
    )
    for appointment in appointments:
        appointment.doctor = by_pk[appointment.doctor_id]
    return appointments


# A cell of a grid is a plain dict, not an object: a busy day has a thousand cells, and the
# template engine finds a dict key at once where an attribute costs it a failed item lookup
# first. Every cell has every key; `kind` is appointment, free, closed (outside the hours),
# away (time off) or covered (under an appointment that started in a row above: skipped).
Cell = dict


def _cell(kind: str, **values) -> Cell:
    return {
        "kind": kind,
        "rowspan": 1,
        "pk": None,  # the appointment's
        "status": "",
        "status_label": "",
        "tone": "",  # Bootstrap table colour by status (the badge says it in words too)
        "name": "",  # "Last, First" of the patient
        "initials": "",  # "FL" of the patient, for a compact grid's narrow cell
        "times": "",  # local "HH:MM" (free) or "HH:MM–HH:MM" (appointment), formatted once
        "day": "",  # ISO date of a free cell, for its booking link
        "bookable": False,
        "doctor_pk": None,
        "doctor": "",
        "offer_pk": None,  # a free cell offered to a waiting patient (appointments.waitlist)
        "offer_to": "",  # their "Last, First"
        **values,
    }


@dataclass
class Column:
    label: str
    day: datetime.date
    doctor: Doctor
    hours: list[WorkingHours] = field(default_factory=list)
    time_off: list[Slot] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)


@dataclass
class Row:
    time: datetime.time
    cells: list[Cell]


@dataclass
class Grid:
    columns: list[Column]
    rows: list[Row]
    step_minutes: int
    others: list[Appointment]  # cancelled and no-shows: listed beside the grid

    @property
    def appointment_count(self) -> int:
        return sum(len(column.appointments) for column in self.columns)


def _grid(columns: list[Column], others: list[Appointment], now: datetime.datetime) -> Grid:
    """Lay the columns' hours, time off and active appointments on one time grid.

    The step is the shortest slot of the hours shown (30 minutes when nobody works); an
    appointment sits in the row its start falls in and spans the rows it covers.
    """
    tz = timezone.get_default_timezone()
    steps = [h.slot_minutes for c in columns for h in c.hours]
    step = min(steps) if steps else 30
    minutes: list[int] = []
    for column in columns:
        for hours in column.hours:
            minutes += [_minute(hours.start_time), _minute(hours.end_time)]
        for appointment in column.appointments:
            start = timezone.localtime(appointment.start, tz)
            end = timezone.localtime(appointment.end, tz)
            minutes.append(start.hour * 60 + start.minute)
            minutes.append(1440 if end.date() > start.date() else end.hour * 60 + end.minute)
    if not minutes:
        return Grid(columns, [], step, others)
    first = min(minutes) // step * step
    last = min(1440, -(-max(minutes) // step) * step)
    times = list(range(first, last, step))
    rows = [Row(datetime.time(m // 60, m % 60), []) for m in times]
    for column in columns:
        cells = _column_cells(column, times, step, tz, now)
        for row, cell in zip(rows, cells, strict=True):
            row.cells.append(cell)
    return Grid(columns, rows, step, others)


_TONES = {
    AppointmentStatus.CHECKED_IN: "table-warning",
    AppointmentStatus.COMPLETED: "table-success",
}


def _minute(at: datetime.time) -> int:
    return at.hour * 60 + at.minute


def _column_cells(column, times, step, tz, now) -> list[Cell]:
    cells: list[Cell | None] = [None] * len(times)
    first = times[0]
    for appointment in column.appointments:
        start = timezone.localtime(appointment.start, tz)
        end = timezone.localtime(appointment.end, tz)
        begin = start.hour * 60 + start.minute
        finish = 1440 if end.date() > start.date() else end.hour * 60 + end.minute
        index = (begin - first) // step
        span = max(1, -(-(finish - first) // step) - index)
        if not 0 <= index < len(cells) or cells[index] is not None:
            continue  # cannot happen with the overlap constraint; never hide data silently
        cells[index] = _cell(
            "appointment",
            rowspan=span,
            pk=appointment.pk,
            status=appointment.status,
            status_label=appointment.get_status_display(),
            tone=_TONES.get(appointment.status, "table-info"),
            name=f"{appointment.patient.last_name}, {appointment.patient.first_name}",
            initials=f"{appointment.patient.first_name[:1]}{appointment.patient.last_name[:1]}",
            times=f"{start:%H:%M}–{end:%H:%M}",
            doctor=str(column.doctor),
        )
        for below in range(index + 1, min(len(cells), index + span)):
            cells[below] = _cell("covered")
    away = _Busy(column.time_off)
    doctor_name, day = str(column.doctor), column.day.isoformat()
    offered = offered_cells(column.doctor)
    for index, minute in enumerate(times):
        if cells[index] is not None:
            continue
        at = datetime.datetime.combine(column.day, datetime.time(minute // 60, minute % 60))
        start = timezone.make_aware(at, tz)
        end = start + datetime.timedelta(minutes=step)
        inside = any(
            _minute(h.start_time) <= minute and minute + step <= _minute(h.end_time)
            for h in column.hours
        )
        if not away.is_free(start, end):
            cells[index] = _cell("away")
        elif inside:
            offer = offered.get(start)
            cells[index] = _cell(
                "free",
                bookable=start >= now,
                doctor_pk=column.doctor.pk,
                doctor=doctor_name,
                times=f"{minute // 60:02d}:{minute % 60:02d}",
                day=day,
                offer_pk=offer["pk"] if offer else None,
                offer_to=offer["name"] if offer else "",
            )
        else:
            cells[index] = _cell("closed")
    return cells  # type: ignore[return-value]


def _hours_and_time_off(doctors: Sequence[Doctor], day_from: datetime.date, day_to: datetime.date):
    ids = [doctor.pk for doctor in doctors]
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for row in (
        WorkingHours.objects.filter(doctor_id__in=ids, valid_from__lte=day_to)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day_from))
        .order_by("start_time")
    ):
        hours[row.doctor_id].append(row)
    start, end = _day_bounds(day_from, day_to)
    time_off: dict[int, list[Slot]] = defaultdict(list)
    for doctor_id, off_start, off_end in TimeOff.objects.filter(
        doctor_id__in=ids, start__lt=end, end__gt=start
    ).values_list("doctor_id", "start", "end"):
        time_off[doctor_id].append((off_start, off_end))
    return hours, time_off


def calendar_day_doctors(*, day: datetime.date, specialty: Specialty | None = None) -> list[Doctor]:
    """Every doctor of the day calendar: active doctors (optionally of one specialty) who work
    on `day` or have an appointment on it (of any status, so that every appointment of the
    day has its column), by name as everywhere else, with their specialty.

    One query whatever the number of doctors: two index lookups per doctor (its hours of that
    weekday, its first appointment of the day).
    """
    start, end = _day_bounds(day, day)
    works = WorkingHours.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        doctor=OuterRef("pk"),
        weekday=day.weekday(),
        valid_from__lte=day,
    )
    booked = Appointment.objects.filter(doctor=OuterRef("pk"), start__gte=start, start__lt=end)
    return list(
        bookable_doctors(specialty=specialty)
        .filter(Exists(works) | Exists(booked))
        # The day's open offers of freed slots, drawn on their cells: in this same query.
        .annotate(waitlist_offers=day_offers(day=day))
    )


def calendar_day(
    *, day: datetime.date, doctors: Sequence[Doctor], now: datetime.datetime | None = None
) -> Grid:
    """The front desk's day: one column per doctor (those given who work that day or have
    appointments of any status), rows on the shortest slot. Three queries whatever the
    number of doctors and appointments: hours, time off, appointments."""
    hours, time_off = _hours_and_time_off(doctors, day, day)
    by_doctor: dict[int, list[Appointment]] = defaultdict(list)
    others = []
    for appointment in _grid_appointments(day_from=day, day_to=day, doctors=doctors):
        if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
            others.append(appointment)
        else:
            by_doctor[appointment.doctor_id].append(appointment)
    # A doctor whose only appointment that day was cancelled keeps a column, so that the page
    # listing that cancellation also says whose it was.
    cancelled_for = {appointment.doctor_id for appointment in others}
    columns = []
    for doctor in doctors:
        working = [h for h in hours[doctor.pk] if _valid_on(h, day)]
        if not working and not by_doctor[doctor.pk] and doctor.pk not in cancelled_for:
            continue
        columns.append(
            Column(
                label=str(doctor),
                day=day,
                doctor=doctor,
                hours=working,
                time_off=time_off[doctor.pk],
                appointments=by_doctor[doctor.pk],
            )
        )
    return _grid(columns, others, now or timezone.now())


def calendar_week(
    *, doctor: Doctor, week_start: datetime.date, now: datetime.datetime | None = None
) -> Grid:
    """One doctor's week: one column per day from `week_start`, rows on the shortest slot.
    Three queries."""
    week_end = week_start + datetime.timedelta(days=6)
    hours, time_off = _hours_and_time_off([doctor], week_start, week_end)
    by_day: dict[datetime.date, list[Appointment]] = defaultdict(list)
    others = []
    for appointment in _grid_appointments(day_from=week_start, day_to=week_end, doctors=[doctor]):
        if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
            others.append(appointment)
        else:
            by_day[local_date(appointment.start)].append(appointment)
    columns = []
    for offset in range(7):
        day = week_start + datetime.timedelta(days=offset)
        columns.append(
            Column(
                label=f"{day:%a %d %b}",
                day=day,
                doctor=doctor,
                hours=[h for h in hours[doctor.pk] if _valid_on(h, day)],
                time_off=time_off[doctor.pk],
                appointments=by_day[day],
            )
        )
    return _grid(columns, others, now or timezone.now())


@dataclass
class DoctorDay:
    """One column of a day grid turned into a list, for a small screen: the doctor's
    appointments in time order, their free slots, and their time away as spans."""

    column: Column
    appointments: list[Cell]
    free: list[Cell]
    away: list[str]  # "HH:MM–HH:MM"

    @property
    def doctor(self) -> Doctor:
        return self.column.doctor


def day_lists(grid: Grid) -> list[DoctorDay]:
    """The grid's columns as lists, read from its cells (no query)."""
    step = datetime.timedelta(minutes=grid.step_minutes)
    days = []
    for index, column in enumerate(grid.columns):
        appointments, free, away = [], [], []
        run_start: datetime.time | None = None
        for row in grid.rows + [None]:
            cell = row.cells[index] if row is not None else None
            if cell is not None and cell["kind"] == "away":
                run_start = run_start or row.time
                run_end = row.time
                continue
            if run_start is not None:
                until = (datetime.datetime.combine(column.day, run_end) + step).time()
                away.append(f"{run_start:%H:%M}–{until:%H:%M}")
                run_start = None
            if cell is None:
                continue
            if cell["kind"] == "appointment":
                appointments.append(cell)
            elif cell["kind"] == "free":
                free.append(cell)
        days.append(DoctorDay(column, appointments, free, away))
    return days
