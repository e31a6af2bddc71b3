"""Writes on appointments: booking, rescheduling and the status moves of DESIGN.md."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from appointments.messaging.models import MessageKind
from appointments.messaging.services import messages_for_change
from appointments.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    Attendance,
)
from appointments.selectors import off_grid, working_hours_covering
from core import audit
from core.actors import acting_user, by_alias
from doctors.models import Doctor, TimeOff
from patients.models import Patient

_AUDITED_FIELDS = ("patient", "doctor", "start", "end", "status", "reason")

# The exclusion constraints of Appointment, and what to tell a person when one of them
# catches a booking that raced ours past the checks below.
DOCTOR_OVERLAP_CONSTRAINT = "appointments_appointment_no_doctor_overlap"
PATIENT_OVERLAP_CONSTRAINT = "appointments_appointment_no_patient_overlap"
RACE_MESSAGES = {
    DOCTOR_OVERLAP_CONSTRAINT: "That slot was just taken — pick another.",
    PATIENT_OVERLAP_CONSTRAINT: (
        "This patient was just booked at an overlapping time — pick another slot."
    ),
}


class SlotUnavailable(ValidationError):
    """The requested time cannot be booked; `str()` is a sentence to show the person booking.

    A `ValidationError`, so a form can take it as is: `form.add_error(None, exc)`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="slot_unavailable")

    def __str__(self) -> str:
        return str(self.message)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def _hm(moment: datetime.datetime) -> str:
    return f"{_local(moment):%H:%M}"


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # Naive times are read as hospital local time.
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _resolve_and_check_slot(
    *,
    patient: Patient,
    doctor: Doctor,
    start: datetime.datetime,
    end: datetime.datetime | None,
    default_length: datetime.timedelta | None = None,
    ignore: Appointment | None = None,
) -> datetime.datetime:
    """Check that `patient` can see `doctor` from `start`; return the end of the slot.

    Without `end`, the slot lasts `default_length` or else the working-hours row's
    `slot_minutes`. Raises SlotUnavailable with the reason. Four small indexed queries.
    """
    if not doctor.is_active:
        raise SlotUnavailable(f"{doctor} is no longer taking appointments.")
    if start < timezone.now():
        raise SlotUnavailable("That time has already passed — pick a time in the future.")
    hours = working_hours_covering(doctor=doctor, start=start)
    if hours is None:
        raise SlotUnavailable(
            f"{doctor} does not work on {_local(start):%A %d %B at %H:%M} — "
            "pick a time within their working hours."
        )
    if end is None:
        end = start + (default_length or datetime.timedelta(minutes=hours.slot_minutes))
    if end <= start:
        raise ValidationError({"end": "An appointment must end after it starts."})
    local_end = _local(end)
    shift_end = datetime.datetime.combine(_local(start).date(), hours.end_time)
    if local_end.replace(tzinfo=None) > shift_end:
        raise SlotUnavailable(
            f"{doctor}'s hours end at {hours.end_time:%H:%M}, before this appointment would "
            f"end at {local_end:%H:%M} — pick an earlier time or a shorter slot."
        )
    if TimeOff.objects.filter(doctor_id=doctor.pk, start__lt=end, end__gt=start).exists():
        raise SlotUnavailable(f"{doctor} is away at that time — pick another time.")

    overlapping = Appointment.objects.active().filter(start__lt=end, end__gt=start)
    if ignore is not None:
        overlapping = overlapping.exclude(pk=ignore.pk)
    clash = overlapping.filter(doctor_id=doctor.pk).order_by("start").first()
    if clash is not None:
        raise SlotUnavailable(
            f"{doctor} already has an appointment from {_hm(clash.start)} to {_hm(clash.end)} "
            "— pick another time."
        )
    clash = (
        overlapping.filter(patient_id=patient.pk).select_related("doctor").order_by("start").first()
    )
    if clash is not None:
        raise SlotUnavailable(
            f"This patient already has an appointment from {_hm(clash.start)} to "
            f"{_hm(clash.end)} with {clash.doctor} — pick another time."
        )
    # Last, so a clash is named first: only a time the slot picker offers is booked.
    refused = off_grid(hours=hours, start=start, end=end, keep=default_length)
    if refused:
        raise SlotUnavailable(refused)
    return end


# PostgreSQL's SQLSTATE for "deadlock detected".
DEADLOCK_DETECTED = "40P01"


def _race_message(constraint_name: str | None) -> str:
    return RACE_MESSAGES.get(constraint_name or "", RACE_MESSAGES[DOCTOR_OVERLAP_CONSTRAINT])


def _validate(appointment: Appointment) -> None:
    """full_clean(), with an overlap that appeared since our checks reported as SlotUnavailable."""
    try:
        appointment.full_clean()
    except ValidationError as exc:
        found = set(exc.messages)
        for constraint in Appointment._meta.constraints:
            if (
                constraint.name in RACE_MESSAGES
                and constraint.get_violation_error_message() in found
            ):
                raise SlotUnavailable(RACE_MESSAGES[constraint.name]) from exc
        raise


def _save(appointment: Appointment, **kwargs: Any) -> None:
    """Save in a savepoint, turning the exclusion constraint's verdict into SlotUnavailable.

    Two desks inserting into the same slot at once can also deadlock inside the exclusion
    constraints' index checks; PostgreSQL then cancels one of them while the other goes on
    and takes the slot, so the cancelled one hears that the slot was just taken."""
    try:
        with transaction.atomic():
            appointment.save(**kwargs)
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        name = getattr(diag, "constraint_name", None)
        if name in RACE_MESSAGES:
            raise SlotUnavailable(_race_message(name)) from exc
        raise
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotUnavailable(_race_message(None)) from exc
        raise


@by_alias("booked_by")
@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    doctor: Doctor,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    reason: str = "",
    by: Any,
) -> Appointment:
    """Book `patient` with `doctor` from `start` (to `end`, default one slot of the doctor's
    working hours at that time).

    Raises SlotUnavailable when the time has passed, is outside the doctor's working hours,
    in their time off, or overlaps an active appointment of the doctor or the patient —
    including one booked concurrently, which the database's exclusion constraint catches.
    """
    if not patient.is_active:
        raise ValidationError("This patient's record is deactivated; reactivate it to book.")
    start = _aware(start)
    end = _aware(end) if end is not None else None
    end = _resolve_and_check_slot(patient=patient, doctor=doctor, start=start, end=end)
    appointment = Appointment(
        patient=patient,
        doctor=doctor,
        start=start,
        end=end,
        status=AppointmentStatus.SCHEDULED,
        reason=reason,
        booked_by=acting_user(by),
    )
    _validate(appointment)
    _save(appointment)
    change = AppointmentStatusChange(
        appointment=appointment,
        from_status="",
        to_status=AppointmentStatus.SCHEDULED,
        new_start=start,
        new_end=end,
        changed_by=appointment.booked_by,
        note="Booked",
    )
    change.full_clean()
    change.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=appointment,
        patient=patient,
        changes=audit.created(appointment, _AUDITED_FIELDS),
    )
    messages_for_change(appointment=appointment, kind=MessageKind.BOOKED)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    by: Any,
) -> Appointment:
    """Move a scheduled appointment to `start` (to `end`, default keeping its length).

    Same checks as booking, ignoring the appointment itself; raises SlotUnavailable.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor")
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise ValidationError(
            f"Only a scheduled appointment can be rescheduled; this one is "
            f"{appointment.get_status_display().lower()}."
        )
    start = _aware(start)
    end = _aware(end) if end is not None else None
    old_start, old_end = appointment.start, appointment.end
    end = _resolve_and_check_slot(
        patient=appointment.patient,
        doctor=appointment.doctor,
        start=start,
        end=end,
        default_length=old_end - old_start,
        ignore=appointment,
    )
    if (start, end) == (old_start, old_end):
        return appointment
    before = audit.snapshot(appointment, _AUDITED_FIELDS)
    appointment.start, appointment.end = start, end
    _validate(appointment)
    _save(appointment, update_fields=["start", "end", "updated_at"])
    change = AppointmentStatusChange(
        appointment=appointment,
        from_status=appointment.status,
        to_status=appointment.status,
        old_start=old_start,
        old_end=old_end,
        new_start=start,
        new_end=end,
        changed_by=acting_user(by),
        note="Rescheduled",
    )
    change.full_clean()
    change.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=appointment,
        changes=audit.diff(before, audit.snapshot(appointment, _AUDITED_FIELDS)),
    )
    messages_for_change(appointment=appointment, kind=MessageKind.RESCHEDULED)
    return appointment


# --- Status moves ------------------------------------------------------------------------------

# DESIGN.md's status rules: where each status may go next. Reschedule is not a move (the status
# stays scheduled); completing a visit belongs to the doctor's screens, whose service
# (clinical.services.visit_complete) moves the status through `appointment_complete`.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    AppointmentStatus.SCHEDULED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}
_VERBS = {
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
    before = audit.snapshot(appointment, (*_AUDITED_FIELDS, *fields))
    from_status = appointment.status
    appointment.status = to_status
    appointment.full_clean()
    appointment.save(update_fields=["status", *fields, "updated_at"])
    change = AppointmentStatusChange(
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        changed_by=acting_user(by),
        note=note[:255],
    )
    change.full_clean()
    change.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=appointment,
        changes=audit.diff(before, audit.snapshot(appointment, (*_AUDITED_FIELDS, *fields))),
    )
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, by: Any) -> Appointment:
    """Cancel a scheduled appointment, or a checked-in one whose patient left; frees the slot.

    Raises ValidationError without a reason, MoveRefused from any other status.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    appointment = _locked(appointment)
    _check_move(appointment, AppointmentStatus.CANCELLED)
    # The patient is told unless they are here already (checked in, then left).
    tell_patient = appointment.status == AppointmentStatus.SCHEDULED
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
    """The patient has arrived: status checked_in and a new `Attendance` with the time and
    the clerk. Only for a scheduled appointment of today (hospital local time)."""
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
