"""Writes on doctors, specialties, working hours and time off."""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from core import audit
from doctors import signals
from doctors.models import Doctor, Specialty, TimeOff, WorkingHours

DOCTOR_FIELDS = (
    "user",
    "first_name",
    "last_name",
    "specialty",
    "email",
    "phone",
    "consultation_fee",
    "is_active",
)
_AUDITED_DOCTOR_FIELDS = ("code", *DOCTOR_FIELDS)
WORKING_HOURS_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "slot_minutes",
    "valid_from",
    "valid_until",
)
TIME_OFF_FIELDS = ("start", "end", "reason")

_CODE_LOCK_KEY = zlib.crc32(b"doctors.doctor.code")


def _check_fields(data: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {what} fields: {', '.join(sorted(unknown))}")


def _apply(obj: Any, data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Set `data` on `obj`, validate it, and return the audit diff (empty: nothing changed)."""
    before = audit.snapshot(obj, fields)
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean()
    return audit.diff(before, audit.snapshot(obj, fields))


# --- Specialties ---------------------------------------------------------------------------


@transaction.atomic
def specialty_save(*, name: str, by: Any, specialty: Specialty | None = None) -> Specialty:
    """Create a specialty, or rename `specialty` when given."""
    specialty = specialty or Specialty()
    adding = specialty._state.adding
    changes = _apply(specialty, {"name": name.strip()}, ("name",))
    if changes:
        specialty.save()
        action = audit.Action.CREATE if adding else audit.Action.UPDATE
        audit.audit_record(actor=by, action=action, obj=specialty, changes=changes)
    return specialty


@transaction.atomic
def specialty_delete(*, specialty: Specialty, by: Any) -> None:
    """Delete an unused specialty (one with doctors is protected by the database)."""
    audit.audit_record(actor=by, action=audit.Action.DELETE, obj=specialty)
    specialty.delete()


# --- Doctors -------------------------------------------------------------------------------


def _next_doctor_code() -> str:
    """The next `D` number (D0001, D0002, ...); see `doctor_code_block`."""
    return doctor_code_block(count=1)[0]


def doctor_code_block(*, count: int) -> list[str]:
    """The next `count` `D` numbers, serialised by a transaction advisory lock. The workbook
    import takes a block for the doctors it keeps apart from a doctor created in the system.

    Cost: one scan of the (small) doctors table, and new-doctor transactions queue behind
    each other until commit.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CODE_LOCK_KEY])
        cursor.execute(
            "SELECT COALESCE(MAX(SUBSTRING(code FROM 2)::bigint), 0) FROM doctors_doctor "
            "WHERE code ~ '^D[0-9]{1,12}$'"
        )
        (highest,) = cursor.fetchone()
    return [f"D{number:04d}" for number in range(highest + 1, highest + 1 + count)]


@transaction.atomic
def doctor_create(
    *, by: Any, data: Mapping[str, Any] | None = None, code: str = "", **fields: Any
) -> Doctor:
    """Add a doctor. A blank `code` gets the next `D` number; an imported one is kept."""
    values = {**(data or {}), **fields}
    code = (values.pop("code", "") or code or "").strip()
    _check_fields(values, DOCTOR_FIELDS, "doctor")
    doctor = Doctor(**values)
    doctor.code = code or _next_doctor_code()
    doctor.full_clean()
    doctor.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=doctor,
        changes=audit.created(doctor, _AUDITED_DOCTOR_FIELDS),
    )
    return doctor


@transaction.atomic
def doctor_update(*, doctor: Doctor, data: Mapping[str, Any], by: Any) -> Doctor:
    """Change a doctor's details (`is_active=False` stops new bookings, keeps history)."""
    _check_fields(data, DOCTOR_FIELDS, "doctor")
    doctor = Doctor.objects.select_for_update().get(pk=doctor.pk)
    changes = _apply(doctor, data, _AUDITED_DOCTOR_FIELDS)
    if changes:
        doctor.save()
        audit.audit_record(actor=by, action=audit.Action.UPDATE, obj=doctor, changes=changes)
    return doctor


# --- Working hours -------------------------------------------------------------------------


def _check_hours_do_not_overlap(hours: WorkingHours) -> None:
    """Two rows of one doctor for the same weekday may not overlap while both are valid."""
    clashes = WorkingHours.objects.filter(
        doctor_id=hours.doctor_id,
        weekday=hours.weekday,
        start_time__lt=hours.end_time,
        end_time__gt=hours.start_time,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=hours.valid_from))
    if hours.valid_until is not None:
        clashes = clashes.filter(valid_from__lte=hours.valid_until)
    if hours.pk is not None:
        clashes = clashes.exclude(pk=hours.pk)
    clash = clashes.first()
    if clash is not None:
        raise ValidationError(
            f"These hours overlap the doctor's {clash.get_weekday_display()} hours "
            f"{clash.start_time:%H:%M}–{clash.end_time:%H:%M} "
            f"(valid from {clash.valid_from:%Y-%m-%d}). Change or end those first."
        )


@transaction.atomic
def working_hours_create(
    *,
    doctor: Doctor,
    weekday: int,
    start_time: datetime.time,
    end_time: datetime.time,
    by: Any,
    slot_minutes: int = 30,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> WorkingHours:
    """Add a weekly block of consultation hours to a doctor's timetable."""
    # Lock the doctor so two concurrent edits cannot both pass the overlap check.
    Doctor.objects.select_for_update().filter(pk=doctor.pk).first()
    hours = WorkingHours(
        doctor=doctor,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        valid_from=valid_from or datetime.date.today(),
        valid_until=valid_until,
    )
    hours.full_clean()
    _check_hours_do_not_overlap(hours)
    hours.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=hours,
        changes=audit.created(hours, ("doctor", *WORKING_HOURS_FIELDS)),
    )
    signals.hours_opened.send(sender=WorkingHours, hours=hours)
    return hours


@transaction.atomic
def working_hours_update(
    *, working_hours: WorkingHours, data: Mapping[str, Any], by: Any
) -> WorkingHours:
    _check_fields(data, WORKING_HOURS_FIELDS, "working hours")
    Doctor.objects.select_for_update().filter(pk=working_hours.doctor_id).first()
    hours = WorkingHours.objects.select_for_update().get(pk=working_hours.pk)
    changes = _apply(hours, data, WORKING_HOURS_FIELDS)
    if changes:
        _check_hours_do_not_overlap(hours)
        hours.save()
        audit.audit_record(actor=by, action=audit.Action.UPDATE, obj=hours, changes=changes)
        signals.hours_opened.send(sender=WorkingHours, hours=hours)
    return hours


@transaction.atomic
def working_hours_delete(*, working_hours: WorkingHours, by: Any) -> None:
    """Remove a block of hours. Appointments already booked in it are kept."""
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=working_hours,
        changes=audit.snapshot(working_hours, ("doctor", *WORKING_HOURS_FIELDS)),
    )
    working_hours.delete()


# --- Time off ------------------------------------------------------------------------------


@transaction.atomic
def time_off_create(
    *,
    doctor: Doctor,
    start: datetime.datetime,
    end: datetime.datetime,
    by: Any,
    reason: str = "",
) -> TimeOff:
    """Block a period in a doctor's diary. Existing appointments in it are not cancelled."""
    time_off = TimeOff(doctor=doctor, start=start, end=end, reason=reason)
    time_off.full_clean()
    time_off.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=time_off,
        changes=audit.created(time_off, ("doctor", *TIME_OFF_FIELDS)),
    )
    return time_off


@transaction.atomic
def time_off_update(*, time_off: TimeOff, data: Mapping[str, Any], by: Any) -> TimeOff:
    _check_fields(data, TIME_OFF_FIELDS, "time off")
    time_off = TimeOff.objects.select_for_update().get(pk=time_off.pk)
    was = (time_off.start, time_off.end)
    changes = _apply(time_off, data, TIME_OFF_FIELDS)
    if changes:
        time_off.save()
        audit.audit_record(actor=by, action=audit.Action.UPDATE, obj=time_off, changes=changes)
        signals.time_freed.send(
            sender=TimeOff, doctor_id=time_off.doctor_id, start=was[0], end=was[1]
        )
    return time_off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, by: Any) -> None:
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=time_off,
        changes=audit.snapshot(time_off, ("doctor", *TIME_OFF_FIELDS)),
    )
    time_off.delete()
    signals.time_freed.send(
        sender=TimeOff, doctor_id=time_off.doctor_id, start=time_off.start, end=time_off.end
    )
