"""Reads on doctors' timetables: who works when, and their time off."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from core.search import Unaccent
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week."""
    return day - datetime.timedelta(days=day.weekday())


def hours_valid_on(day: datetime.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def doctors_with_hours(
    *, on: datetime.date, specialty: Specialty | None = None, doctor: Doctor | None = None
) -> QuerySet[Doctor]:
    """Active doctors with their specialty and, as `current_hours`, the working-hours rows
    valid on `on` by weekday. Two queries whatever the number of doctors."""
    doctors = Doctor.objects.active().select_related("specialty").order_by("last_name", "pk")
    if specialty is not None:
        doctors = doctors.filter(specialty=specialty)
    if doctor is not None:
        doctors = doctors.filter(pk=doctor.pk)
    return doctors.prefetch_related(
        Prefetch(
            "working_hours",
            queryset=WorkingHours.objects.filter(hours_valid_on(on)).order_by(
                "weekday", "start_time"
            ),
            to_attr="current_hours",
        )
    )


def doctor_hours(*, doctor: Doctor) -> QuerySet[WorkingHours]:
    """Every working-hours row of a doctor, past and future validity included. One query."""
    return WorkingHours.objects.filter(doctor=doctor).order_by(
        "weekday", "start_time", "valid_from"
    )


def doctor_time_off(*, doctor: Doctor, since: datetime.datetime | None = None) -> QuerySet[TimeOff]:
    """A doctor's time off not yet over, soonest first. One query."""
    return TimeOff.objects.filter(doctor=doctor, end__gt=since or timezone.now()).order_by("start")


@dataclass
class ScheduleDay:
    day: datetime.date
    hours: list[WorkingHours]
    time_off: list[TimeOff]


def doctor_week(*, doctor: Doctor, monday: datetime.date) -> list[ScheduleDay]:
    """The doctor's hours and time off day by day for the week from `monday`. Two queries."""
    sunday = monday + datetime.timedelta(days=6)
    rows = list(
        WorkingHours.objects.filter(doctor=doctor, valid_from__lte=sunday)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=monday))
        .order_by("start_time")
    )
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min), tz)
    end = start + datetime.timedelta(days=7)
    away = list(TimeOff.objects.filter(doctor=doctor, start__lt=end, end__gt=start))
    week = []
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), tz)
        day_end = day_start + datetime.timedelta(days=1)
        week.append(
            ScheduleDay(
                day=day,
                hours=[
                    h
                    for h in rows
                    if h.weekday == day.weekday()
                    and h.valid_from <= day
                    and (h.valid_until is None or day <= h.valid_until)
                ],
                time_off=[t for t in away if t.start < day_end and t.end > day_start],
            )
        )
    return week


# --- finding a doctor by what a person types -----------------------------------------------

DOCTOR_MATCHES = 20


def doctors_matching(text: str, *, limit: int = DOCTOR_MATCHES) -> list[Doctor]:
    """Doctors whose code is `text` (case-blind; that one alone), or whose name or code holds
    it (accent- and case-blind), by name, at most `limit`; an empty `text`: the first
    `limit` by name. A hospital has hundreds of doctors, not millions: a scan of them is
    cheap, and only `limit` rows leave the database."""
    text = " ".join(text.split())
    doctors = Doctor.objects.select_related("specialty")
    if text:
        exact = list(doctors.filter(code__iexact=text)[:1])
        if exact:
            return exact
        doctors = doctors_holding(text, doctors=doctors)
    return list(doctors.order_by("last_name", "first_name", "code")[:limit])


def doctors_holding(text: str, *, doctors: QuerySet[Doctor] | None = None) -> QuerySet[Doctor]:
    """Doctors whose "first last" name or code holds `text`, accent- and case-blind, in no
    particular order (a scan of the doctors: hundreds, not millions)."""
    folded = Unaccent(Lower(Value(" ".join(text.split()))))
    doctors = Doctor.objects.all() if doctors is None else doctors
    return doctors.alias(
        name=Unaccent(Lower(Concat("first_name", Value(" "), "last_name"))),
        folded_code=Lower("code"),
    ).filter(Q(name__contains=folded) | Q(folded_code__contains=folded))
