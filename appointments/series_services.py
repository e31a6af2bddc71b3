"""Writes on recurring series: book one in one transaction, cancel or move one occurrence,
this and the following ones, or all. Cancelling goes through `appointment_cancel` and moving
through `appointment_reschedule`, occurrence by occurrence, so every rule and every message of
a single appointment holds for each; a moved occurrence keeps its series and its original
start (an exception of the series)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.messaging.models import MessageKind
from appointments.messaging.services import messages_for_change
from appointments.models import Appointment, AppointmentSeries, AppointmentStatus
from appointments.series_plan import Occurrence, series_plan
from appointments.services import (
    SlotUnavailable,
    appointment_cancel,
    appointment_reschedule,
    bookings_save,
)
from appointments.waitlist.offers import freeing_deferred
from core import audit
from core.actors import acting_user
from doctors.models import Doctor
from patients.models import Patient

ONE, FOLLOWING, ALL = "one", "following", "all"
SCOPES = {
    ONE: "only this appointment",
    FOLLOWING: "this and the following appointments",
    ALL: "every appointment of the series",
}
_SERIES_AUDITED = ("patient", "doctor", "rule", "first_start", "length", "reason")


def when(moment: datetime.datetime) -> str:
    """ "Tuesday 12 March 10:00", how the desk's messages name an occurrence."""
    return f"{timezone.localtime(moment, timezone.get_default_timezone()):%A %d %B %H:%M}"


def _refusal(problems: list[Occurrence]) -> SlotUnavailable:
    lines = "; ".join(f"{when(o.start)} (no. {o.index}): {o.problem}" for o in problems)
    count = len(problems)
    head = "1 appointment" if count == 1 else f"{count} appointments"
    return SlotUnavailable(
        f"{head} of the series cannot be booked, so nothing was booked — {lines}",
        clash=any(o.clash for o in problems),
    )


@transaction.atomic
def series_book(
    *,
    patient: Patient,
    doctor: Doctor,
    start: datetime.datetime,
    rule: str,
    by: Any,
    reason: str = "",
    skip: Iterable[datetime.datetime] = (),
    moves: Mapping[datetime.datetime, datetime.datetime] | None = None,
    length: datetime.timedelta | None = None,
    continues: AppointmentSeries | None = None,
) -> list[Appointment]:
    """Book every occurrence of the RFC 5545 `rule` from `start` (each `length` long, default
    the doctor's slot), except those in `skip` (their start datetimes), those in `moves` at
    the start chosen instead, all in one transaction.

    When any occurrence clashes (checked by the availability engine and the booking service's
    rules), raises SlotUnavailable naming every one and writes nothing; a booking that takes
    one of the slots meanwhile is caught by the exclusion constraints, and the whole series is
    refused with the occurrence named. The patient hears once (the first occurrence's booked
    message lists the series); each occurrence gets its own reminder. `continues`: the series
    this one replaces from a date on (a change of rule): its `continues` link, named in its
    audit row and history too.
    """
    if not patient.is_active:
        raise ValidationError("This patient's record is deactivated; reactivate it to book.")
    if timezone.is_naive(start):
        start = timezone.make_aware(start, timezone.get_default_timezone())
    plan = series_plan(
        patient=patient,
        doctor=doctor,
        start=start,
        rule=rule,
        length=length,
        skip=skip,
        moves=moves,
    )
    if plan.problems:
        raise _refusal(plan.problems)
    if not plan.to_book:
        raise ValidationError("Every appointment of the series is skipped: nothing to book.")
    series = AppointmentSeries(
        patient=patient,
        doctor=doctor,
        rule=plan.rule,
        first_start=plan.occurrences[0].wanted,
        length=plan.length,
        reason=reason,
        created_by=acting_user(by),
        continues=continues,
    )
    series.full_clean(exclude=["patient", "doctor", "created_by", "continues"])
    series.save()
    changes = audit.created(series, _SERIES_AUDITED)
    link = ""
    if continues is not None:
        changes["continues_series"] = {"before": None, "after": continues.pk}
        link = f", continuing series #{continues.pk}"
    appointments = [
        Appointment(
            patient=patient,
            doctor=doctor,
            start=occurrence.start,
            end=occurrence.end,
            status=AppointmentStatus.SCHEDULED,
            reason=reason,
            booked_by=series.created_by,
            series=series,
            series_index=occurrence.index,
            series_start=occurrence.wanted,
        )
        for occurrence in plan.to_book
    ]
    notes = [f"Booked: no. {o.index} of a series{link}" for o in plan.to_book]
    try:
        bookings_save(appointments, by=by, notes=notes)
    except SlotUnavailable as error:
        if not error.clash:
            raise
        # Another booking took one of the times since the plan was checked.
        raise _raced(
            plan.to_book, patient=patient, doctor=doctor, rule=rule, length=length
        ) from error
    # After the appointments: the audit chain's lock is taken last, as a single booking does,
    # so a booking racing one of the occurrences never waits on it while holding its time.
    audit.audit_record(
        actor=by, action=audit.Action.CREATE, obj=series, patient=patient, changes=changes
    )
    messages_for_change(appointment=appointments[0], kind=MessageKind.BOOKED)
    return appointments


def _raced(planned: list[Occurrence], *, patient, doctor, rule, length) -> SlotUnavailable:
    """Which occurrences another booking took while this series was being written (its
    insert was rolled back whole: the plan again names them)."""
    first = planned[0]
    moves = {o.wanted: o.start for o in planned if o.moved}
    again = series_plan(
        patient=patient, doctor=doctor, start=first.wanted, rule=rule, length=length, moves=moves
    )
    wanted = {o.wanted for o in planned}
    lost = [o for o in again.problems if o.wanted in wanted]
    named = ", ".join(f"{when(o.start)} (no. {o.index})" for o in lost) or "one of its times"
    return SlotUnavailable(
        f"While this series was being booked, {named} was just taken — nothing was booked; "
        "check the series again.",
        clash=True,
    )


def _occurrences(appointment: Appointment, scope: str) -> list[Appointment]:
    """The occurrences `scope` names from `appointment`, locked, its series' row first (two
    desks changing one series wait for each other). "following" and "all" take only the
    scheduled ones not yet begun; "one" the appointment itself."""
    if scope not in SCOPES:
        raise ValidationError("Choose which appointments of the series to change.")
    if appointment.series_id is None:
        raise ValidationError("This appointment is not part of a series.")
    AppointmentSeries.objects.select_for_update().filter(pk=appointment.series_id).first()
    if scope == ONE:
        return [appointment]
    chosen = Appointment.objects.select_for_update(of=("self",)).filter(
        series_id=appointment.series_id,
        status=AppointmentStatus.SCHEDULED,
        start__gt=timezone.now(),
    )
    if scope == FOLLOWING:
        chosen = chosen.filter(series_index__gte=appointment.series_index)
    return list(chosen.select_related("patient", "doctor").order_by("series_index"))


@transaction.atomic
def series_cancel(
    *, appointment: Appointment, scope: str, reason: str, by: Any
) -> list[Appointment]:
    """Cancel `appointment` alone, with the following occurrences, or the whole series' future
    ones, each through `appointment_cancel` (its rules, history and message), all or none."""
    done = []
    with freeing_deferred():  # the waitlist hears of the freed times once, together
        for occurrence in _occurrences(appointment, scope):
            try:
                done.append(appointment_cancel(appointment=occurrence, reason=reason, by=by))
            except ValidationError as refused:
                raise ValidationError(
                    f"{when(occurrence.start)} (no. {occurrence.series_index}): "
                    f"{' '.join(refused.messages)} Nothing was cancelled."
                ) from refused
    if not done:
        raise ValidationError("No appointment of the series is left to cancel.")
    return done


@transaction.atomic
def series_reschedule(
    *, appointment: Appointment, start: datetime.datetime, scope: str, by: Any
) -> list[Appointment]:
    """Move `appointment` to `start`, and with "following" or "all" every other occurrence in
    the scope by as much in local time (a day later at 11:00 moves each one so), each through
    `appointment_reschedule`; all or none: a refusal names the occurrence. Moved occurrences
    keep their series and original start (exceptions)."""
    zone = timezone.get_default_timezone()
    if timezone.is_naive(start):
        start = timezone.make_aware(start, zone)
    shift = timezone.localtime(start, zone).replace(tzinfo=None) - timezone.localtime(
        appointment.start, zone
    ).replace(tzinfo=None)
    targets = _occurrences(appointment, scope)
    # Later first when moving later (earlier first when earlier): one never steps on another.
    targets.sort(key=lambda a: a.start, reverse=shift > datetime.timedelta(0))
    moved = []
    # A time one occurrence leaves is often the next one's new time: the waitlist hears only
    # of what is still free once every occurrence has moved.
    with freeing_deferred():
        for occurrence in targets:
            local = timezone.localtime(occurrence.start, zone).replace(tzinfo=None) + shift
            try:
                moved.append(
                    appointment_reschedule(
                        appointment=occurrence, start=timezone.make_aware(local, zone), by=by
                    )
                )
            except ValidationError as refused:
                raise SlotUnavailable(
                    f"{when(occurrence.start)} (no. {occurrence.series_index}) cannot move to "
                    f"{when(timezone.make_aware(local, zone))}: {' '.join(refused.messages)} "
                    "Nothing was moved.",
                    clash=getattr(refused, "clash", False),
                ) from refused
    return sorted(moved, key=lambda a: a.start)
