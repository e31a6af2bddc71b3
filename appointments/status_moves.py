"""The status moves of DESIGN.md: check in (and its undo), no-show, cancel, complete.

Every move asks the one table, ALLOWED_MOVES, then writes the status, an
AppointmentStatusChange and an audit row through `_move`. Re-exported by
`appointments.services`, which callers import them from.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from appointments.history import AUDITED_FIELDS, record_move
from appointments.messaging.models import MessageKind
from appointments.messaging.services import messages_for_change
from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Attendance,
)
from appointments.queue_services import queue_ticket_issue, queue_ticket_withdraw
from appointments.waitlist.offers import slot_freed
from core import audit
from core.actors import acting_user

_AUDITED_ATTENDANCE = ("appointment", "patient", "checked_in_at", "checked_in_by")

# DESIGN.md's status rules: where each status may go next. Reschedule is not a move (the status
# stays scheduled); completing a visit belongs to the doctor's screens, whose service
# (clinical.services.visit_complete) moves the status through `appointment_complete`. Checked in
# → scheduled is the desk's undo of a check-in made by mistake (`appointment_undo_check_in`:
# the same day, before the visit starts).
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    AppointmentStatus.SCHEDULED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.SCHEDULED}
    ),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}
_VERBS = {
    AppointmentStatus.SCHEDULED: "set back to scheduled",
    AppointmentStatus.CHECKED_IN: "checked in",
    AppointmentStatus.COMPLETED: "completed",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "marked as a no-show",
}


class MoveRefused(ValidationError):
    """A status move the rules do not allow; `str()` is a sentence for the person asking."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="move_refused")

    def __str__(self) -> str:
        return str(self.message)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor")
        .get(pk=appointment.pk)
    )


def _check_move(appointment: Appointment, to_status: str) -> None:
    if to_status not in ALLOWED_MOVES[appointment.status]:
        raise MoveRefused(
            f"A {appointment.get_status_display().lower()} appointment cannot be "
            f"{_VERBS.get(to_status, to_status)}."
        )


def _move(
    appointment: Appointment, *, to_status: str, by: Any, note: str, fields: tuple[str, ...] = ()
) -> Appointment:
    """Change a locked appointment's status; write the status change and the audit row."""
    audited = (*AUDITED_FIELDS, *fields)
    before = audit.snapshot(appointment, audited)
    from_status = appointment.status
    appointment.status = to_status
    appointment.full_clean()
    appointment.save(update_fields=["status", *fields, "updated_at"])
    record_move(
        appointment, by=by, from_status=from_status, note=note, before=before, fields=audited
    )
    if from_status in ACTIVE_STATUSES and to_status not in ACTIVE_STATUSES:
        # Cancelled or a no-show: its time is free again, for the waitlist (the one hook).
        slot_freed(doctor_id=appointment.doctor_id, start=appointment.start, end=appointment.end)
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, by: Any, tell_patient: bool = True
) -> Appointment:
    """Cancel a scheduled appointment, or a checked-in one whose patient left; frees the slot.
    `tell_patient` False when the caller tells the patient once for many (a series whose
    rule changed: its new booking message lists the new dates).

    Raises ValidationError without a reason, MoveRefused from any other status.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.CANCELLED)
    # The patient is told unless they are here already (checked in, then left).
    tell_patient = tell_patient and appointment.status == AppointmentStatus.SCHEDULED
    appointment.cancel_reason = reason[:255]
    _move(
        appointment,
        to_status=AppointmentStatus.CANCELLED,
        by=by,
        note=f"Cancelled: {reason}",
        fields=("cancel_reason",),
    )
    if tell_patient:
        messages_for_change(appointment=appointment, kind=MessageKind.CANCELLED)
    return appointment


@transaction.atomic
def appointment_check_in(
    *, appointment: Appointment, by: Any, now: datetime.datetime | None = None
) -> Appointment:
    """The patient has arrived: status checked_in, a new `Attendance` with the time and the
    clerk, and a token of the day's queue (`appointment.queue_ticket`, appointments.queue).
    Only for a scheduled appointment of today (hospital local time)."""
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.CHECKED_IN)
    now = now or timezone.now()
    if _local(appointment.start).date() != _local(now).date():
        raise MoveRefused(
            f"This appointment is on {_local(appointment.start):%A %d %B}; patients check in "
            "on the day of their appointment."
        )
    _move(appointment, to_status=AppointmentStatus.CHECKED_IN, by=by, note="Checked in")
    attendance = Attendance(
        appointment=appointment,
        patient=appointment.patient,
        checked_in_at=now,
        checked_in_by=acting_user(by),
    )
    attendance.full_clean()
    attendance.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=attendance,
        patient=appointment.patient,
        changes=audit.created(attendance, ("appointment", "checked_in_at", "checked_in_by")),
    )
    appointment.queue_ticket = queue_ticket_issue(appointment=appointment, now=now)
    return appointment


def _visit_begun(attendance: Attendance) -> str:
    """Why the doctor's side of this visit already exists, or "" when it does not."""
    if attendance.started_at is not None:
        return (
            f"The doctor started this visit at {_local(attendance.started_at):%H:%M}; a check-in "
            "can only be undone before the visit starts."
        )
    if any((attendance.concerns, attendance.symptoms, attendance.diagnosis, attendance.notes)):
        return "The doctor has already written in this visit's record; it cannot be undone."
    return ""


# The database keeps a visit whose consultation is on an invoice (billing migration 0014).
BILLED_VISIT_KEPT = "billing_billed_visit_kept"
BILLED_VISIT = (
    "This visit's consultation is already on an invoice; remove it from the invoice before "
    "undoing the check-in."
)


@transaction.atomic
def appointment_undo_check_in(
    *, appointment: Appointment, by: Any, now: datetime.datetime | None = None
) -> Appointment:
    """Set a patient checked in by mistake back to scheduled, as if the check-in never was.

    Only on the day of the appointment (hospital local time) and while the visit's record is
    untouched: not started, nothing written, its consultation on no invoice (the database
    refuses to delete a billed visit: billing migration 0014). The `Attendance`
    the check-in made is deleted (the audit keeps its values), so a later check-in makes a new
    one and the chart shows no visit that did not happen. Raises MoveRefused with the reason.
    Locks the appointment, then the attendance, as `clinical.services.visit_start` does.
    """
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.SCHEDULED)
    now = now or timezone.now()
    if _local(appointment.start).date() != _local(now).date():
        raise MoveRefused(
            f"This appointment was on {_local(appointment.start):%A %d %B}; a check-in can "
            "only be undone on the same day."
        )
    attendance = (
        Attendance.objects.select_for_update(of=("self",)).filter(appointment=appointment).first()
    )
    refused = _visit_begun(attendance) if attendance is not None else ""
    if refused:
        raise MoveRefused(refused)
    _move(appointment, to_status=AppointmentStatus.SCHEDULED, by=by, note="Check-in undone")
    # Its token leaves the queue; the number is not given again (a new check-in gets a new one).
    queue_ticket_withdraw(appointment=appointment, now=now)
    if attendance is not None:
        before = audit.snapshot(attendance, _AUDITED_ATTENDANCE)
        audit.audit_record(
            actor=by,
            action=audit.Action.DELETE,
            obj=attendance,
            patient=appointment.patient,
            changes={name: {"before": value, "after": None} for name, value in before.items()},
        )
        try:
            with transaction.atomic():
                attendance.delete()
        except (ProtectedError, RestrictedError) as kept:
            # A record of the visit points at it (e.g. a history entry): the visit happened.
            raise MoveRefused(
                "This visit already has entries in the patient's record; it cannot be undone."
            ) from kept
        except IntegrityError as kept:
            diag = getattr(kept.__cause__, "diag", None)
            if getattr(diag, "constraint_name", None) != BILLED_VISIT_KEPT:
                raise
            raise MoveRefused(BILLED_VISIT) from kept
    return appointment


@transaction.atomic
def appointment_no_show(
    *, appointment: Appointment, by: Any, now: datetime.datetime | None = None
) -> Appointment:
    """The patient did not come: only a scheduled appointment whose start has passed. Frees
    the slot for another booking."""
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.NO_SHOW)
    if (now or timezone.now()) < appointment.start:
        raise MoveRefused(
            f"This appointment starts at {_local(appointment.start):%H:%M on %A %d %B}; a "
            "patient can only be marked as a no-show once the start has passed."
        )
    return _move(appointment, to_status=AppointmentStatus.NO_SHOW, by=by, note="No-show")


@transaction.atomic
def appointment_complete(*, appointment: Appointment, by: Any) -> Appointment:
    """The patient was seen: checked in → completed, with its status change and audit row.

    Only for `clinical.services.visit_complete`, which closes the visit's record in the same
    transaction. Raises MoveRefused from any status the table does not allow.
    """
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.COMPLETED)
    return _move(appointment, to_status=AppointmentStatus.COMPLETED, by=by, note="Visit completed")
