"""Writes on appointments: booking and rescheduling; the status moves of DESIGN.md, from
appointments.status_moves, are re-exported here."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from appointments.history import AUDITED_FIELDS, record_move
from appointments.messaging.models import MessageKind
from appointments.messaging.services import messages_for_change
from appointments.models import (
    Appointment,
    AppointmentStatus,
)
from appointments.selectors import off_grid, working_hours_covering
from appointments.waitlist.offers import slot_freed
from core import audit
from core.actors import acting_user, by_alias
from doctors.models import Doctor, TimeOff
from patients.models import Patient

_AUDITED_FIELDS = AUDITED_FIELDS

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
    `clash` is True when another appointment holds the time (the doctor's or the patient's,
    found by the checks or by the database's exclusion constraint in a race), False for the
    other rules (the past, working hours, time off, the slot grid): an API answers the one
    409 Conflict, the other 422.

    A `ValidationError`, so a form can take it as is: `form.add_error(None, exc)`.
    """

    def __init__(self, message: str, *, clash: bool = False) -> None:
        super().__init__(message, code="slot_unavailable")
        self.clash = clash

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
            "— pick another time.",
            clash=True,
        )
    clash = (
        overlapping.filter(patient_id=patient.pk).select_related("doctor").order_by("start").first()
    )
    if clash is not None:
        raise SlotUnavailable(
            f"This patient already has an appointment from {_hm(clash.start)} to "
            f"{_hm(clash.end)} with {clash.doctor} — pick another time.",
            clash=True,
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
                raise SlotUnavailable(RACE_MESSAGES[constraint.name], clash=True) from exc
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
            raise SlotUnavailable(_race_message(name), clash=True) from exc
        raise
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotUnavailable(_race_message(None), clash=True) from exc
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
    bookings_save([appointment], by=by)
    messages_for_change(appointment=appointment, kind=MessageKind.BOOKED)
    return appointment


def bookings_save(
    appointments: list[Appointment], *, by: Any, notes: list[str] | None = None
) -> list[Appointment]:
    """The one write of new appointments: a single booking (`appointment_book`) and every
    occurrence of a series (appointments.series_services), whose slots the caller has checked
    (`_resolve_and_check_slot`, the series plan) and whose patient it tells.

    Each appointment's fields are validated; the database holds its foreign keys and
    constraints, so no query is spent per appointment on them. All are inserted in one
    statement in a savepoint: a booking that raced ours past the checks (the exclusion
    constraints' verdict, or the deadlock two such inserts can meet) becomes SlotUnavailable
    with `clash` set, and nothing is written. Then each gets its history's first move (with
    its `notes` entry, default "Booked") and its audit row."""
    notes = notes or ["Booked"] * len(appointments)
    for appointment in appointments:
        appointment.full_clean(
            exclude=["patient", "doctor", "booked_by", "series"],
            validate_unique=False,
            validate_constraints=False,
        )
    for attempt in range(2):
        try:
            with transaction.atomic():
                Appointment.objects.bulk_create(appointments)
            break
        except IntegrityError as exc:
            name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
            if name in RACE_MESSAGES:
                raise SlotUnavailable(_race_message(name), clash=True) from exc
            raise
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
            if attempt:
                raise SlotUnavailable(_race_message(None), clash=True) from exc
            # PostgreSQL cancelled our insert to let the other one on: once more, it waits
            # for that transaction's end and meets its appointment, committed (a clash the
            # caller can name), or none, rolled back (then the time is ours after all).
    with audit.batch():
        for appointment, note in zip(appointments, notes, strict=True):
            record_move(
                appointment,
                by=by,
                from_status="",
                note=note,
                new=(appointment.start, appointment.end),
            )
            audit.audit_record(
                actor=by,
                action=audit.Action.CREATE,
                obj=appointment,
                patient=appointment.patient,
                changes=audit.created(appointment, _AUDITED_FIELDS),
            )
    return appointments


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    doctor: Doctor | None = None,
    by: Any,
) -> Appointment:
    """Move a scheduled appointment to `start` (to `end`, default keeping its length), with
    `doctor` if given (another doctor: the front desk moves a visit to a colleague).

    Same checks as booking, with the new doctor's hours, time off and appointments, ignoring
    the appointment itself; raises SlotUnavailable, also when the exclusion constraint catches
    a booking that raced ours. The history and the audit keep the old time and doctor.
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
    old_start, old_end, old_doctor = appointment.start, appointment.end, appointment.doctor
    new_doctor = doctor if doctor is not None else old_doctor
    end = _resolve_and_check_slot(
        patient=appointment.patient,
        doctor=new_doctor,
        start=start,
        end=end,
        default_length=old_end - old_start,
        ignore=appointment,
    )
    if (start, end, new_doctor.pk) == (old_start, old_end, old_doctor.pk):
        return appointment
    before = audit.snapshot(appointment, _AUDITED_FIELDS)
    appointment.start, appointment.end, appointment.doctor = start, end, new_doctor
    _validate(appointment)
    _save(appointment, update_fields=["doctor", "start", "end", "updated_at"])
    note = "Rescheduled"
    if new_doctor.pk != old_doctor.pk:
        note = f"Rescheduled from {old_doctor} to {new_doctor}"
    record_move(
        appointment,
        by=by,
        from_status=appointment.status,
        note=note,
        old=(old_start, old_end),
        new=(start, end),
        before=before,
    )
    # The time it left is free again, for the waitlist (the one hook, as a cancellation).
    slot_freed(doctor_id=old_doctor.pk, start=old_start, end=old_end)
    messages_for_change(appointment=appointment, kind=MessageKind.RESCHEDULED)
    return appointment


# --- Status moves ------------------------------------------------------------------------------

# The status moves live in their own module (this one would pass 500 lines); callers import
# them from here, as always.
from appointments.status_moves import (  # noqa: E402
    ALLOWED_MOVES,
    MoveRefused,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_no_show,
    appointment_undo_check_in,
)


def series_book(**kwargs: Any) -> list[Appointment]:
    """DESIGN.md's `series_book`: a recurring series in one transaction. It lives in
    appointments.series_services (which builds on this module), imported when called."""
    from appointments.series_services import series_book as book

    return book(**kwargs)


# The waitlist's writes on waiters (DESIGN.md's `waitlist_add`), from appointments.waitlist.
from appointments.waitlist.entries import (  # noqa: E402
    waitlist_add,
    waitlist_remove,
    waitlist_update,
)

__all__ = [
    "ALLOWED_MOVES",
    "DOCTOR_OVERLAP_CONSTRAINT",
    "PATIENT_OVERLAP_CONSTRAINT",
    "RACE_MESSAGES",
    "MoveRefused",
    "SlotUnavailable",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_complete",
    "appointment_no_show",
    "appointment_reschedule",
    "appointment_undo_check_in",
    "series_book",
    "waitlist_add",
    "waitlist_remove",
    "waitlist_update",
]
