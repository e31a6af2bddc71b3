"""The availability engine: free slots of one or many doctors, the first free slot, the
slot picker's days, and the booked visits a change of hours leaves outside them."""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from django.contrib.postgres.fields import ArrayField, RangeBoundary
from django.db.models import BigIntegerField, BooleanField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, TsTzRange
from doctors.models import TIME_OFF_LONGEST, Doctor, TimeOff, WorkingHours

Slot = tuple[datetime.datetime, datetime.datetime]

# The visit lengths the slot picker offers besides the working hours' own slot length.
OFFERED_MINUTES = (15, 20, 30, 45, 60, 90)

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


def off_grid(
    *,
    hours: WorkingHours,
    start: datetime.datetime,
    end: datetime.datetime,
    keep: datetime.timedelta | None = None,
) -> str:
    """Why the engine would never offer [start, end) in `hours` (the row `start` falls in):
    a start off the row's grid (`start_time` + n × `slot_minutes`) or a length the picker does
    not offer (besides `keep`, the length of an appointment being moved); "" when it would
    (free or not)."""
    local = timezone.localtime(start, timezone.get_default_timezone())
    since = datetime.datetime.combine(local.date(), hours.start_time)
    offset = local.replace(tzinfo=None) - since
    step = datetime.timedelta(minutes=hours.slot_minutes)
    if offset % step:
        return (
            f"Appointments start on the {hours.slot_minutes}-minute grid from "
            f"{hours.start_time:%H:%M} — pick a time the slot picker offers."
        )
    length = end - start
    offered = {hours.slot_minutes, *OFFERED_MINUTES}
    if length == keep:
        return ""
    if length % datetime.timedelta(minutes=1) or length.total_seconds() / 60 not in offered:
        minutes = ", ".join(str(m) for m in sorted(offered))
        return f"An appointment lasts {minutes} minutes — pick a length the slot picker offers."
    return ""


# --- The availability engine ---------------------------------------------------------------


class _BigintIn(Func):
    """`field = ANY(ids::bigint[])`. psycopg sends a small int as a smallint, and
    btree_gist's bigint operator class compares bigints only: with `field IN (ids)` a GiST
    index on (field, ...) could not use the field."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()

    def __init__(self, field: F, ids: list[int]):
        bigints = ArrayField(BigIntegerField())
        super().__init__(field, Cast(Value(ids, output_field=bigints), bigints))


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
    # Each query reads only the doctors' rows of the window from an index, however long
    # their history. Time off lasts at most TIME_OFF_LONGEST (a constraint), which bounds
    # its start from below as well.
    for doctor_id, start, end in (
        TimeOff.objects.filter(
            doctor_id__in=list(rows),
            start__lt=window_end,
            start__gt=window_start - TIME_OFF_LONGEST,
            end__gt=window_start,
        )
        .order_by()
        .values_list("doctor_id", "start", "end")
    ):
        periods[doctor_id].append((start, end))
    # Appointments have no longest length: the overlap is written as the no-double-booking
    # constraint's GiST index states it (doctor, [start, end)), so PostgreSQL reads it from
    # that index (`start < end of window` on the (doctor, start) index would read every
    # earlier appointment of the doctor).
    appointments = (
        Appointment.objects.active()
        .alias(period=TsTzRange("start", "end", RangeBoundary()))
        .filter(_BigintIn(F("doctor_id"), list(rows)), period__overlap=(window_start, window_end))
    )
    if ignore is not None:
        appointments = appointments.exclude(pk=ignore.pk)
    for doctor_id, start, end in appointments.order_by().values_list("doctor_id", "start", "end"):
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


def slot_at(choices: Sequence[SlotChoice], moment: datetime.datetime) -> SlotChoice | None:
    """The free slot of `choices` that starts at `moment` (a calendar cell's time), else the
    one under it (a doctor's slots longer than the calendar's rows); None if neither."""
    exact = [choice for choice in choices if choice.start == moment]
    under = [choice for choice in choices if choice.start <= moment < choice.end]
    return (exact or under or [None])[0]


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
