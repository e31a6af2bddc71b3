"""A series before it is booked: the occurrences an RFC 5545 rule gives, each checked by the
availability engine and the booking services' rules, and for each that cannot be booked the
reason and a proposed alternative.

The rule is read with python-dateutil's rrule in the hospital's local time (10:00 stays 10:00
across a change of summer time). The engine answers for the whole span in three queries; only
an occurrence it does not offer is asked of the booking service's own check
(`appointments.services`), whose sentence says why (time off, outside hours, taken by the
doctor or the patient, in the past): no second copy of a booking rule here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.models import Appointment
from appointments.selectors import (
    SlotChoice,
    first_free_slot,
    free_slots_by_doctor,
    local_date,
    working_hours_covering,
)
from appointments.services import SlotUnavailable, _resolve_and_check_slot
from doctors.models import Doctor
from patients.models import Patient

# A series books at most this many appointments: two years of weekly visits.
MAX_OCCURRENCES = 104
# How far from its planned date an occurrence may be moved while booking the series.
MAX_MOVE = datetime.timedelta(days=31)
# Rules repeat by the day, the week or the month; finer ones are no appointment series.
FREQUENCIES = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY}
Period = tuple[datetime.datetime, datetime.datetime]
DAY_NAMES = {
    "MO": "Mon",
    "TU": "Tue",
    "WE": "Wed",
    "TH": "Thu",
    "FR": "Fri",
    "SA": "Sat",
    "SU": "Sun",
}


def _zone():
    return timezone.get_default_timezone()


def _naive_local(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        return moment
    return timezone.localtime(moment, _zone()).replace(tzinfo=None)


def clean_rule(rule: str) -> str:
    """The rule as stored: upper case, no "RRULE:" prefix, no spaces."""
    text = re.sub(r"\s+", "", rule or "").upper()
    return text.removeprefix("RRULE:")


def weekly_rule(
    *, weeks: int = 1, count: int | None = None, until: datetime.date | None = None
) -> str:
    """The rule of "every `weeks` weeks", `count` times or until the end of `until`."""
    parts = ["FREQ=WEEKLY"]
    if weeks != 1:
        parts.append(f"INTERVAL={weeks}")
    if count is not None:
        parts.append(f"COUNT={count}")
    elif until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def occurrence_starts(*, rule: str, start: datetime.datetime) -> list[datetime.datetime]:
    """The aware starts `rule` gives from `start` (its first), in hospital local time.

    Raises ValidationError with a sentence for the desk: a rule that cannot be read, repeats
    more often than daily, never ends (no COUNT or UNTIL), or makes more than MAX_OCCURRENCES.
    """
    text = clean_rule(rule)
    fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if fields.get("FREQ") not in FREQUENCIES:
        raise ValidationError(
            "A series repeats daily, weekly or monthly (FREQ=DAILY, WEEKLY or MONTHLY)."
        )
    if "COUNT" not in fields and "UNTIL" not in fields:
        raise ValidationError("Say when the series ends: a number of visits or an end date.")
    if "UNTIL" in fields:
        # A date or a local date-time: the hospital's calendar, like the start.
        fields["UNTIL"] = fields["UNTIL"].rstrip("Z")
        if len(fields["UNTIL"]) == 8:
            fields["UNTIL"] += "T235959"
        text = ";".join(f"{key}={value}" for key, value in fields.items())
    try:
        rules = rrule.rrulestr(text, dtstart=_naive_local(start), forceset=False)
    except (ValueError, TypeError) as error:
        raise ValidationError(f"This repeat rule cannot be read ({error}).") from error
    starts = []
    for moment in rules:
        if len(starts) == MAX_OCCURRENCES:
            raise ValidationError(
                f"This series would make more than {MAX_OCCURRENCES} appointments: book at most "
                f"{MAX_OCCURRENCES} (two years of weekly visits), with fewer visits or an earlier "
                "end date."
            )
        starts.append(timezone.make_aware(moment, _zone()))
    if not starts:
        raise ValidationError("This repeat rule gives no appointment: check its end date.")
    return starts


def describe(rule: str, start: datetime.datetime) -> str:
    """ "every Tuesday at 10:00, 10 times", for the desk's pages."""
    fields = dict(part.split("=", 1) for part in clean_rule(rule).split(";") if "=" in part)
    local = timezone.localtime(start, _zone()) if timezone.is_aware(start) else start
    every = int(fields.get("INTERVAL", "1") or 1)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}.get(fields.get("FREQ"), "")
    days = [DAY_NAMES[d] for d in fields.get("BYDAY", "").split(",") if d in DAY_NAMES]
    if unit == "week" and not days:
        text = f"every {local:%A}" if every == 1 else f"every {every} weeks on {local:%A}"
    elif days and unit in ("day", "week") and every == 1:
        text = f"every {', '.join(days)}"
    else:
        text = f"every {unit}" if every == 1 else f"every {every} {unit}s"
    text += f" at {local:%H:%M}"
    if "COUNT" in fields:
        return f"{text}, {fields['COUNT']} times"
    until = fields.get("UNTIL", "")[:8]
    if len(until) == 8:
        last = datetime.date(int(until[:4]), int(until[4:6]), int(until[6:]))
        return f"{text} until {last:%d %B %Y}"
    return text


@dataclass
class Occurrence:
    """One appointment of the plan: its number (from 1), where the rule put it (`wanted`),
    where it would be booked (`start`, `end`: the wanted time, or the desk's choice for it),
    and why not when it cannot be (`problem`), with a free `alternative`."""

    index: int
    wanted: datetime.datetime
    start: datetime.datetime
    end: datetime.datetime
    problem: str = ""
    clash: bool = False
    alternative: SlotChoice | None = None
    skipped: bool = False

    @property
    def moved(self) -> bool:
        return self.start != self.wanted

    @property
    def bookable(self) -> bool:
        return not self.skipped and not self.problem

    @property
    def key(self) -> str:
        """How a form names this occurrence: its wanted start."""
        return self.wanted.isoformat()


@dataclass
class Plan:
    patient: Patient
    doctor: Doctor
    rule: str
    length: datetime.timedelta
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def problems(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.problem and not o.skipped]

    @property
    def to_book(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.bookable]

    @property
    def description(self) -> str:
        return describe(self.rule, self.occurrences[0].wanted) if self.occurrences else ""


def _overlaps(period: Period, others: Iterable[Period]) -> bool:
    return any(start < period[1] and period[0] < end for start, end in others)


def _reason(patient, doctor, start, end, length) -> tuple[str, bool]:
    """The booking service's verdict on [start, end): ("", False) when it would book it."""
    try:
        _resolve_and_check_slot(
            patient=patient, doctor=doctor, start=start, end=end, default_length=length
        )
    except SlotUnavailable as refused:
        return str(refused), refused.clash
    except ValidationError as refused:
        return " ".join(refused.messages), False
    return "", False


def series_plan(
    *,
    patient: Patient,
    doctor: Doctor,
    start: datetime.datetime,
    rule: str,
    length: datetime.timedelta | None = None,
    skip: Iterable[datetime.datetime] = (),
    moves: Mapping[datetime.datetime, datetime.datetime] | None = None,
) -> Plan:
    """Check every occurrence of `rule` from `start` (each lasting `length`, default one slot
    of the doctor's hours at `start`): those in `skip` (wanted starts) are left out, those in
    `moves` (wanted start → the start chosen instead) are checked at their new time.

    Queries: 3 for the engine over the whole span, 1 for the patient's appointments, and a
    few (the service's check, an alternative beyond the span) per occurrence the engine does
    not offer.
    """
    starts = occurrence_starts(rule=rule, start=start)
    if length is None:
        hours = working_hours_covering(doctor=doctor, start=starts[0])
        length = datetime.timedelta(minutes=hours.slot_minutes if hours else 30)
    moves = dict(moves or {})
    # A time chosen instead lies near the planned one: not a jump of months or centuries.
    far = {
        wanted: moves.pop(wanted)
        for wanted in list(moves)
        if abs(moves[wanted] - wanted) > MAX_MOVE
    }
    skipped = set(skip)
    plan = Plan(patient=patient, doctor=doctor, rule=clean_rule(rule), length=length)
    placed = {s: moves.get(s, s) for s in starts}
    first_day = local_date(min(placed.values()))
    last_day = local_date(max(placed.values()))
    free = free_slots_by_doctor(
        doctors=[doctor], day_from=first_day, day_to=last_day, length=length
    )
    free_list = free[doctor.pk]
    offered = set(free_list)
    patient_busy = list(
        Appointment.objects.active()
        .filter(
            patient_id=patient.pk,
            start__lt=max(placed.values()) + length,
            end__gt=min(placed.values()),
        )
        .values_list("start", "end")
    )
    for index, wanted in enumerate(starts, start=1):
        at = placed[wanted]
        occurrence = Occurrence(index, wanted, at, at + length, skipped=wanted in skipped)
        plan.occurrences.append(occurrence)
        if occurrence.skipped:
            continue
        period = (occurrence.start, occurrence.end)
        if period not in offered or _overlaps(period, patient_busy):
            occurrence.problem, occurrence.clash = _reason(patient, doctor, *period, length)
    for occurrence in plan.occurrences:
        if occurrence.wanted in far and not occurrence.skipped:
            chosen = timezone.localtime(far[occurrence.wanted])
            occurrence.problem = (
                f"The time chosen instead, {chosen:%d %b %Y %H:%M}, is more than "
                f"{MAX_MOVE.days} days from this date: choose a time nearer to it."
            )
    # Two occurrences of one series may not overlap each other (a moved one onto another).
    kept: list[Period] = []
    for occurrence in plan.occurrences:
        if occurrence.bookable:
            period = (occurrence.start, occurrence.end)
            if _overlaps(period, kept):
                occurrence.problem = "It overlaps another appointment of this series."
                occurrence.clash = True
            else:
                kept.append(period)
    taken = [*patient_busy, *kept]
    for occurrence in plan.problems:
        occurrence.alternative = _alternative(occurrence, doctor, free_list, taken, length)
        if occurrence.alternative is not None:
            taken.append((occurrence.alternative.start, occurrence.alternative.end))
    return plan


def _alternative(
    occurrence: Occurrence,
    doctor: Doctor,
    free: list[Period],
    taken: list[Period],
    length: datetime.timedelta,
) -> SlotChoice | None:
    """The nearest free slot of the doctor on the wanted day (the patient free too), else the
    doctor's next free one after that day (the engine's answer for the series' span, then
    `first_free_slot` beyond it)."""
    day = local_date(occurrence.wanted)
    usable = [period for period in free if not _overlaps(period, taken)]
    same_day = [period for period in usable if local_date(period[0]) == day]
    if same_day:
        start, end = min(same_day, key=lambda p: (abs(p[0] - occurrence.wanted), p[0]))
        return SlotChoice(doctor, start, end)
    later = [period for period in usable if local_date(period[0]) > day]
    if later:
        return SlotChoice(doctor, *later[0])
    after = max([day, *(local_date(period[0]) for period in free)])
    return first_free_slot(
        doctors=[doctor], day_from=after + datetime.timedelta(days=1), length=length
    )
