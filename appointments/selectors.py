"""Reads on appointments: free slots, the working hours that make them, and the front desk's
day sheets (calendar grids, arrivals, appointments a change of hours leaves stranded)."""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from doctors.models import Doctor, TimeOff, WorkingHours
from patients.models import Patient

Slot = tuple[datetime.datetime, datetime.datetime]

# How far "first free slot" looks ahead before it gives up, and how many days it reads at once.
FIRST_FREE_HORIZON_DAYS = 56
FIRST_FREE_WINDOW_DAYS = 7


def _valid_on(hours: WorkingHours, day: datetime.date) -> bool:
    return (
        hours.weekday == day.weekday()
        and hours.valid_from <= day
        and (hours.valid_until is None or day <= hours.valid_until)
    )


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


def local_date(moment: datetime.datetime) -> datetime.date:
    """The hospital-local calendar date of an aware datetime."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def working_hours_covering(*, doctor: Doctor, start: datetime.datetime) -> WorkingHours | None:
    """The doctor's working-hours row that `start` (any zone) falls in, in hospital local
    time, valid on that date; None outside working hours. One query."""
    local = timezone.localtime(start, timezone.get_default_timezone())
    day, at = local.date(), local.time().replace(tzinfo=None)
    return (
        WorkingHours.objects.filter(
            doctor_id=doctor.pk,
            weekday=day.weekday(),
            valid_from__lte=day,
            start_time__lte=at,
            end_time__gt=at,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("start_time", "id")
        .first()
    )


# --- The availability engine ---------------------------------------------------------------


class _Busy:
    """A doctor's busy periods (time off and active appointments), sorted, with a binary
    search answering "is [start, end) free?" in O(log n)."""

    def __init__(self, periods: Iterable[Slot]):
        periods = sorted(periods)
        self.starts = [start for start, _ in periods]
        # latest_end[i]: the latest end among periods[0..i], so "does anything starting
        # before `end` reach past `start`" is one bisect and one lookup.
        self.latest_end = list(accumulate((end for _, end in periods), max))

    def is_free(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        before = bisect.bisect_left(self.starts, end)
        return before == 0 or self.latest_end[before - 1] <= start


def free_slots_by_doctor(
    *,
    doctors: Sequence[Doctor],
    day_from: datetime.date,
    day_to: datetime.date,
    length: datetime.timedelta | None = None,
    now: datetime.datetime | None = None,
    ignore: Appointment | None = None,
) -> dict[int, list[Slot]]:
    """Free `(start, end)` slots of each doctor (by id) from `day_from` to `day_to` inclusive.

    Slots follow each working-hours row's grid (`start_time` + n × `slot_minutes`) in the
    hospital's local time and are aware datetimes, sorted. A slot lasts `length` (default the
    row's `slot_minutes`) and must end within its row, so a 60-minute visit needs two free
    30-minute cells. A slot is free when it has not started yet (`now`, default the current
    time) and overlaps no time off and no active appointment (other than `ignore`, the one
    being rescheduled).

    Three queries whatever the number of doctors and days (hours, time off, appointments);
    the rest is Python with a binary search over each doctor's busy periods.
    """
    result: dict[int, list[Slot]] = {doctor.pk: [] for doctor in doctors}
    ids = [doctor.pk for doctor in doctors if doctor.is_active]
    if day_to < day_from or not ids:
        return result
    tz = timezone.get_default_timezone()
    window_start = _local_midnight(day_from)
    window_end = _local_midnight(day_to + datetime.timedelta(days=1))
    rows: dict[int, list[WorkingHours]] = defaultdict(list)
    for hours in (
        WorkingHours.objects.filter(doctor_id__in=ids, valid_from__lte=day_to)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day_from))
        .order_by("weekday", "start_time")
    ):
        rows[hours.doctor_id].append(hours)
    if not rows:
        return result
    periods: dict[int, list[Slot]] = defaultdict(list)
    for doctor_id, start, end in TimeOff.objects.filter(
        doctor_id__in=list(rows), start__lt=window_end, end__gt=window_start
    ).values_list("doctor_id", "start", "end"):
        periods[doctor_id].append((start, end))
    appointments = Appointment.objects.active().filter(
        doctor_id__in=list(rows), start__lt=window_end, end__gt=window_start
    )
    if ignore is not None:
        appointments = appointments.exclude(pk=ignore.pk)
    for doctor_id, start, end in appointments.values_list("doctor_id", "start", "end"):
        periods[doctor_id].append((start, end))

    now = now or timezone.now()
    for doctor_id, doctor_rows in rows.items():
        busy = _Busy(periods[doctor_id])
        slots: set[Slot] = set()
        day = day_from
        while day <= day_to:
            for hours in doctor_rows:
                if not _valid_on(hours, day):
                    continue
                step = datetime.timedelta(minutes=hours.slot_minutes)
                span = length or step
                at = datetime.datetime.combine(day, hours.start_time)
                limit = datetime.datetime.combine(day, hours.end_time)
                while at + span <= limit:
                    start, end = timezone.make_aware(at, tz), timezone.make_aware(at + span, tz)
                    if start >= now and busy.is_free(start, end):
                        slots.add((start, end))
                    at += step
            day += datetime.timedelta(days=1)
        result[doctor_id] = sorted(slots)
    return result


def available_slots(
    *,
    doctor: Doctor,
    day_from: datetime.date,
    day_to: datetime.date,
    now: datetime.datetime | None = None,
    length: datetime.timedelta | None = None,
) -> list[Slot]:
    """Free `(start, end)` slots of `doctor` from `day_from` to `day_to` inclusive: see
    `free_slots_by_doctor`, the engine behind every page that offers a time. Three queries."""
    return free_slots_by_doctor(
        doctors=[doctor], day_from=day_from, day_to=day_to, length=length, now=now
    )[doctor.pk]


@dataclass(frozen=True)
class SlotChoice:
    doctor: Doctor
    start: datetime.datetime
    end: datetime.datetime

    @property
    def value(self) -> str:
        """What a form posts back: the doctor and the exact period."""
        return f"{self.doctor.pk}|{self.start.isoformat()}|{self.end.isoformat()}"

    @property
    def hm(self) -> str:
        return f"{timezone.localtime(self.start, timezone.get_default_timezone()):%H:%M}"

    @property
    def end_hm(self) -> str:
        return f"{timezone.localtime(self.end, timezone.get_default_timezone()):%H:%M}"


def slot_choices(
    *,
    doctors: Sequence[Doctor],
    day_from: datetime.date,
    day_to: datetime.date,
    length: datetime.timedelta | None = None,
    ignore: Appointment | None = None,
    now: datetime.datetime | None = None,
) -> list[SlotChoice]:
    """Every free slot of `doctors` in the days, earliest first (ties by doctor). 3 queries."""
    by_doctor = free_slots_by_doctor(
        doctors=doctors, day_from=day_from, day_to=day_to, length=length, ignore=ignore, now=now
    )
    names = {doctor.pk: doctor for doctor in doctors}
    choices = [
        SlotChoice(names[doctor_id], start, end)
        for doctor_id, slots in by_doctor.items()
        for start, end in slots
    ]
    choices.sort(key=lambda c: (c.start, c.doctor.last_name, c.doctor.pk))
    return choices


def first_free_slot(
    *,
    doctors: Sequence[Doctor],
    day_from: datetime.date,
    length: datetime.timedelta | None = None,
    ignore: Appointment | None = None,
    now: datetime.datetime | None = None,
) -> SlotChoice | None:
    """The earliest free slot among `doctors` from `day_from`, looking up to
    FIRST_FREE_HORIZON_DAYS ahead a week at a time: 3 queries a week read, 24 at most."""
    day = day_from
    last = day_from + datetime.timedelta(days=FIRST_FREE_HORIZON_DAYS - 1)
    while day <= last:
        until = min(last, day + datetime.timedelta(days=FIRST_FREE_WINDOW_DAYS - 1))
        choices = slot_choices(
            doctors=doctors, day_from=day, day_to=until, length=length, ignore=ignore, now=now
        )
        if choices:
            return choices[0]
        day = until + datetime.timedelta(days=1)
    return None


PICKER_DAYS = 7
PICKER_PER_DAY = 24  # slots shown per day when several doctors are offered


@dataclass
class SlotPicker:
    """What the slot picker shows: free slots day by day, and the one preselected."""

    doctors: list[Doctor]
    day_from: datetime.date
    day_to: datetime.date
    days: list[tuple[datetime.date, list[SlotChoice], int]]  # (day, slots shown, hidden)
    selected: str = ""
    first: SlotChoice | None = None
    searched_first: bool = False

    @property
    def several_doctors(self) -> bool:
        return len(self.doctors) > 1

    @property
    def count(self) -> int:
        return sum(len(slots) for _, slots, _ in self.days)

    @property
    def next_from(self) -> datetime.date:
        return self.day_to + datetime.timedelta(days=1)

    @property
    def previous_from(self) -> datetime.date | None:
        earlier = self.day_from - datetime.timedelta(days=PICKER_DAYS)
        today = timezone.localdate()
        return max(earlier, today) if self.day_from > today else None


def slot_picker(
    *,
    doctors: Sequence[Doctor],
    day_from: datetime.date,
    length: datetime.timedelta | None = None,
    first: bool = False,
    selected: str = "",
    ignore: Appointment | None = None,
) -> SlotPicker:
    """Free slots of `doctors` for PICKER_DAYS days from `day_from`, grouped by day; with
    `first`, the days start at the first free slot, which is preselected. 3 queries, plus
    up to 24 to find the first free slot."""
    doctors = list(doctors)
    found = None
    if first and doctors:
        found = first_free_slot(doctors=doctors, day_from=day_from, length=length, ignore=ignore)
        if found is not None:
            day_from, selected = local_date(found.start), found.value
    day_to = day_from + datetime.timedelta(days=PICKER_DAYS - 1)
    choices = (
        slot_choices(
            doctors=doctors, day_from=day_from, day_to=day_to, length=length, ignore=ignore
        )
        if doctors
        else []
    )
    by_day: dict[datetime.date, list[SlotChoice]] = defaultdict(list)
    for choice in choices:
        by_day[local_date(choice.start)].append(choice)
    limit = PICKER_PER_DAY if len(doctors) > 1 else None
    days = []
    for offset in range(PICKER_DAYS):
        day = day_from + datetime.timedelta(days=offset)
        slots = by_day.get(day, [])
        shown = slots[:limit] if limit else slots
        if selected and limit and all(c.value != selected for c in shown):
            shown += [c for c in slots[limit:] if c.value == selected]
        days.append((day, shown, len(slots) - len(shown)))
    return SlotPicker(
        doctors=doctors,
        day_from=day_from,
        day_to=day_to,
        days=days,
        selected=selected,
        first=found,
        searched_first=first,
    )


def bookable_doctors(*, specialty=None) -> QuerySet[Doctor]:
    """Active doctors (optionally of one specialty) with their specialty, by name."""
    doctors = Doctor.objects.active().select_related("specialty").order_by("last_name", "pk")
    if specialty is not None:
        doctors = doctors.filter(specialty=specialty)
    return doctors


# --- Lists -----------------------------------------------------------------------------------


def _day_bounds(day_from: datetime.date, day_to: datetime.date):
    return _local_midnight(day_from), _local_midnight(day_to + datetime.timedelta(days=1))


def appointments_between(
    *,
    day_from: datetime.date,
    day_to: datetime.date,
    doctor_ids: Iterable[int] | None = None,
) -> QuerySet[Appointment]:
    """Appointments starting in the days (hospital local time), with patient and doctor, in
    time order. One query on `appt_start_idx` / `appt_doctor_start_idx`."""
    start, end = _day_bounds(day_from, day_to)
    appointments = (
        Appointment.objects.filter(start__gte=start, start__lt=end)
        .select_related("patient", "doctor__specialty")
        .order_by("start", "doctor__last_name", "pk")
    )
    if doctor_ids is not None:
        appointments = appointments.filter(doctor_id__in=list(doctor_ids))
    return appointments


def _grid_appointments(
    *, day_from: datetime.date, day_to: datetime.date, doctors: Sequence[Doctor]
) -> list[Appointment]:
    """The calendar's appointments with only what a cell shows (times, status, reason, the
    patient's name); each gets its doctor from `doctors`, so no join. One query."""
    start, end = _day_bounds(day_from, day_to)
    by_pk = {doctor.pk: doctor for doctor in doctors}
    appointments = list(
        Appointment.objects.filter(start__gte=start, start__lt=end, doctor_id__in=list(by_pk))
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


def arrivals(*, day: datetime.date, doctor: Doctor | None = None) -> QuerySet[Appointment]:
    """The day's appointments for the arrivals desk, with the check-in time (and nothing
    else of the visit record: the front desk sees no clinical content). One query."""
    appointments = appointments_between(day_from=day, day_to=day).annotate(
        checked_in_at=F("attendance__checked_in_at")
    )
    if doctor is not None:
        appointments = appointments.filter(doctor=doctor)
    return appointments


def appointment_detail(*, pk: int) -> Appointment:
    """One appointment with its patient, doctor and specialty. One query; Http404-able
    through `Appointment.DoesNotExist`."""
    return (
        Appointment.objects.select_related("patient", "doctor__specialty", "booked_by")
        .annotate(checked_in_at=F("attendance__checked_in_at"))
        .get(pk=pk)
    )


def appointment_history(*, appointment: Appointment) -> QuerySet[AppointmentStatusChange]:
    """Every move of an appointment, oldest first, with who made it. One query."""
    return AppointmentStatusChange.objects.filter(appointment=appointment).select_related(
        "changed_by"
    )


def patient_appointments(
    *, patient: Patient, upcoming: bool, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    """A patient's upcoming (soonest first) or past (latest first) appointments with the
    doctor. One query on `appt_patient_start_idx`; slice it for a page."""
    now = now or timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related("doctor__specialty")
    if upcoming:
        return appointments.filter(end__gt=now).order_by("start", "pk")
    return appointments.filter(end__lte=now).order_by("-start", "-pk")


def appointments_outside_hours(
    *, doctor: Doctor, now: datetime.datetime | None = None
) -> list[Appointment]:
    """The doctor's scheduled future appointments that no longer fit: outside every
    working-hours row valid on their day, or overlapping time off. These are the ones to
    rebook after a change of hours. Three queries; the check itself is Python."""
    now = now or timezone.now()
    appointments = list(
        Appointment.objects.filter(
            doctor=doctor, status=AppointmentStatus.SCHEDULED, start__gte=now
        )
        .select_related("patient")
        .order_by("start")
    )
    if not appointments:
        return []
    hours = list(WorkingHours.objects.filter(doctor=doctor))
    away = _Busy(
        TimeOff.objects.filter(
            doctor=doctor, end__gt=appointments[0].start, start__lt=appointments[-1].end
        ).values_list("start", "end")
    )
    tz = timezone.get_default_timezone()
    stranded = []
    for appointment in appointments:
        start = timezone.localtime(appointment.start, tz)
        end = timezone.localtime(appointment.end, tz)
        fits = any(
            _valid_on(row, start.date())
            and row.start_time <= start.time()
            and end.replace(tzinfo=None) <= datetime.datetime.combine(start.date(), row.end_time)
            for row in hours
        )
        if not fits or not away.is_free(appointment.start, appointment.end):
            stranded.append(appointment)
    return stranded


# --- Calendar grids ----------------------------------------------------------------------


@dataclass
class Cell:
    """One cell of a calendar grid. `kind`: appointment, free, closed (outside hours), away
    (time off) or covered (under an appointment started in a row above: not rendered)."""

    kind: str
    appointment: Appointment | None = None
    rowspan: int = 1
    start: datetime.datetime | None = None
    bookable: bool = False
    doctor: Doctor | None = None
    # Local "HH:MM" (free cells) or "HH:MM–HH:MM" (appointments), formatted once here: a
    # busy day has a thousand cells and template date filters are slow.
    times: str = ""
    day: str = ""  # ISO date of a free cell, for its booking link


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
        cells[index] = Cell(
            "appointment", appointment, rowspan=span, times=f"{start:%H:%M}–{end:%H:%M}"
        )
        for below in range(index + 1, min(len(cells), index + span)):
            cells[below] = Cell("covered")
    away = _Busy(column.time_off)
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
            cells[index] = Cell("away", start=start, doctor=column.doctor)
        elif inside:
            cells[index] = Cell(
                "free",
                start=start,
                bookable=start >= now,
                doctor=column.doctor,
                times=f"{minute // 60:02d}:{minute % 60:02d}",
                day=column.day.isoformat(),
            )
        else:
            cells[index] = Cell("closed", start=start, doctor=column.doctor)
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


def calendar_day(
    *, day: datetime.date, doctors: Sequence[Doctor], now: datetime.datetime | None = None
) -> Grid:
    """The front desk's day: one column per doctor (those given who work that day or have
    appointments), rows on the shortest slot. Three queries whatever the number of doctors
    and appointments: hours, time off, appointments."""
    hours, time_off = _hours_and_time_off(doctors, day, day)
    by_doctor: dict[int, list[Appointment]] = defaultdict(list)
    others = []
    for appointment in _grid_appointments(day_from=day, day_to=day, doctors=doctors):
        if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
            others.append(appointment)
        else:
            by_doctor[appointment.doctor_id].append(appointment)
    columns = []
    for doctor in doctors:
        working = [h for h in hours[doctor.pk] if _valid_on(h, day)]
        if not working and not by_doctor[doctor.pk]:
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
