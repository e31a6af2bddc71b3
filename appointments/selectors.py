"""Reads on appointments: free slots and the working hours that make them."""

from __future__ import annotations

import bisect
import datetime
from itertools import accumulate

from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment
from doctors.models import Doctor, TimeOff, WorkingHours

Slot = tuple[datetime.datetime, datetime.datetime]


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


def available_slots(
    *,
    doctor: Doctor,
    day_from: datetime.date,
    day_to: datetime.date,
    now: datetime.datetime | None = None,
) -> list[Slot]:
    """Free `(start, end)` slots of `doctor` from `day_from` to `day_to` inclusive.

    Slots follow each working-hours row's grid (`start_time` + n × `slot_minutes`) in the
    hospital's local time (settings.TIME_ZONE) and are returned as aware datetimes, sorted.
    A slot is free when it has not started yet (`now`, default the current time), overlaps
    no time off and no active (scheduled, checked-in or completed) appointment.

    Three queries whatever the number of days: the working hours valid in the range, the
    time off and the active appointments overlapping it; the rest is done in Python with a
    binary search over the busy periods.
    """
    if day_to < day_from or not doctor.is_active:
        return []
    tz = timezone.get_default_timezone()
    window_start, window_end = (
        _local_midnight(day_from),
        _local_midnight(day_to + datetime.timedelta(days=1)),
    )
    rows = list(
        WorkingHours.objects.filter(doctor_id=doctor.pk, valid_from__lte=day_to)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day_from))
        .order_by("weekday", "start_time")
    )
    if not rows:
        return []
    busy: list[Slot] = list(
        TimeOff.objects.filter(
            doctor_id=doctor.pk, start__lt=window_end, end__gt=window_start
        ).values_list("start", "end")
    )
    busy += (
        Appointment.objects.active()
        .filter(doctor_id=doctor.pk, start__lt=window_end, end__gt=window_start)
        .values_list("start", "end")
    )
    busy.sort()
    busy_starts = [start for start, _ in busy]
    # latest_end[i]: the latest end among busy[0..i], so "does anything starting before
    # `end` reach past `start`" is one bisect and one lookup.
    latest_end = list(accumulate((end for _, end in busy), max))

    def is_free(start: datetime.datetime, end: datetime.datetime) -> bool:
        before = bisect.bisect_left(busy_starts, end)
        return before == 0 or latest_end[before - 1] <= start

    now = now or timezone.now()
    slots: set[Slot] = set()
    day = day_from
    while day <= day_to:
        for hours in rows:
            if not _valid_on(hours, day):
                continue
            step = datetime.timedelta(minutes=hours.slot_minutes)
            at = datetime.datetime.combine(day, hours.start_time)
            limit = datetime.datetime.combine(day, hours.end_time)
            while at + step <= limit:
                start, end = timezone.make_aware(at, tz), timezone.make_aware(at + step, tz)
                if start >= now and is_free(start, end):
                    slots.add((start, end))
                at += step
        day += datetime.timedelta(days=1)
    return sorted(slots)
