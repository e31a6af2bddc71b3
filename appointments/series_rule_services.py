"""A series' repeat rule changed from one of its appointments on ("from 12 March, every 2
weeks instead of every week"): the occurrences from that one on (scheduled, not yet begun)
are cancelled through `appointment_cancel`, the series ends before it (its rule gets an
UNTIL), and a new series with the new rule is booked through `series_book`, continuing the
old one; all in one transaction, so when any new occurrence clashes nothing is cancelled.

The patient hears once: the new series' booking message (it `continues` the old series) says
what changed, the replaced dates and the new ones, with a calendar file cancelling the replaced
ones (appointments.messaging.compose); the replaced occurrences are cancelled without a message
each (the waitlist hears of the freed slots as for any cancellation).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentSeries
from appointments.series import SERIES_CHANGED
from appointments.series_plan import Plan, clean_rule, describe, occurrence_starts, series_plan
from appointments.series_services import FOLLOWING, _occurrences, series_book, when
from appointments.services import appointment_cancel
from appointments.waitlist.offers import freeing_deferred
from core import audit

_ENDS = ("COUNT", "UNTIL")


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def ended_rule(rule: str, *, last: datetime.datetime) -> str:
    """`rule` ending with its occurrence at `last` (an UNTIL in local time instead of its
    COUNT or UNTIL): the old part of a series whose rule changed."""
    parts = [p for p in clean_rule(rule).split(";") if p and p.split("=", 1)[0] not in _ENDS]
    parts.append(f"UNTIL={_local(last):%Y%m%dT%H%M%S}")
    return ";".join(parts)


def _replace_from(
    *, appointment: Appointment, start: datetime.datetime, rule: str, by: Any
) -> AppointmentSeries:
    """Cancel `appointment` and the following occurrences, end its series before it; return
    the series (locked). Raises ValidationError with a sentence for the desk."""
    replaced = _occurrences(appointment, FOLLOWING)
    if not any(o.pk == appointment.pk for o in replaced):
        raise ValidationError(
            "Only a scheduled appointment that has not begun can start a new repeat rule."
        )
    occurrence_starts(rule=rule, start=start)  # the rule read, before anything changes
    series = AppointmentSeries.objects.get(pk=appointment.series_id)
    earlier = (
        Appointment.objects.active()
        .filter(series_id=series.pk, series_index__lt=appointment.series_index)
        .order_by("-start")
        .first()
    )
    if earlier is not None and start <= earlier.start:
        raise ValidationError(
            {
                "start": f"No. {earlier.series_index}, {when(earlier.start)}, stays as it is: "
                "start the new rule after it."
            }
        )
    reason = f"{SERIES_CHANGED}: {describe(rule, start)}"[:255]
    for occurrence in replaced:
        appointment_cancel(appointment=occurrence, reason=reason, by=by, tell_patient=False)
    kept = (
        Appointment.objects.filter(series_id=series.pk, series_index__lt=appointment.series_index)
        .order_by("-series_start")
        .values_list("series_start", flat=True)
        .first()
    )
    last = kept if kept is not None else appointment.series_start - datetime.timedelta(seconds=1)
    before = audit.snapshot(series, ("rule",))
    series.rule = ended_rule(series.rule, last=last)
    series.full_clean(exclude=["patient", "doctor", "created_by"])
    series.save(update_fields=["rule", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=series,
        patient=series.patient,
        changes=audit.diff(before, audit.snapshot(series, ("rule",))),
    )
    return series


def _aware(start: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(start):
        return timezone.make_aware(start, timezone.get_default_timezone())
    return start


@transaction.atomic
def series_change_rule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    rule: str,
    by: Any,
    skip: Iterable[datetime.datetime] = (),
    moves: Mapping[datetime.datetime, datetime.datetime] | None = None,
) -> list[Appointment]:
    """Replace `appointment` and the following occurrences of its series by a new series of
    the RFC 5545 `rule` from `start` (same patient, doctor, length and reason), booked by
    `series_book` with the desk's `skip` and `moves`; returns the new occurrences.

    All or nothing: when any new occurrence clashes, raises `series_book`'s SlotUnavailable
    (every clash named) and nothing is cancelled. The replaced ones are cancelled with the
    reason "Series changed: <the new rule in words>"; the patient gets the new series'
    booking message only."""
    start = _aware(start)
    # The replaced occurrences' times reach the waitlist once the new ones are booked: a
    # waiter is offered only what the new series leaves free.
    with freeing_deferred():
        series = _replace_from(appointment=appointment, start=start, rule=rule, by=by)
        return series_book(
            patient=series.patient,
            doctor=series.doctor,
            start=start,
            rule=rule,
            by=by,
            reason=series.reason,
            skip=skip,
            moves=moves,
            length=series.length,
            continues=series,
        )


class _Undo(Exception):
    """Leaves the preview's savepoint, rolling back what it tried."""


def series_change_plan(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    rule: str,
    skip: Iterable[datetime.datetime] = (),
    moves: Mapping[datetime.datetime, datetime.datetime] | None = None,
) -> Plan:
    """The plan `series_change_rule` would book (every occurrence checked, clashes with an
    alternative each), writing nothing: the replaced occurrences are cancelled in a savepoint
    that is rolled back, so they do not stand in the way of the new ones, as in the change."""
    start = _aware(start)
    found: list[Plan] = []
    try:
        # The rollback takes the cancellations back: the waitlist hears of nothing.
        with freeing_deferred(), transaction.atomic():
            series = _replace_from(appointment=appointment, start=start, rule=rule, by=None)
            found.append(
                series_plan(
                    patient=series.patient,
                    doctor=series.doctor,
                    start=start,
                    rule=rule,
                    length=series.length,
                    skip=skip,
                    moves=moves,
                )
            )
            raise _Undo
    except _Undo:
        pass
    return found[0]
