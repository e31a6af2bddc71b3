"""An appointment's history: the one writer of its moves (booked, rescheduled, each status
change), with the audit row of the change. Booking, rescheduling and every status move
(appointments.services, appointments.status_moves) write through here."""

from __future__ import annotations

import datetime
from typing import Any

from appointments.models import Appointment, AppointmentStatusChange
from core import audit
from core.actors import acting_user

# What the audit log keeps of an appointment.
AUDITED_FIELDS = ("patient", "doctor", "start", "end", "status", "reason")


def record_move(
    appointment: Appointment,
    *,
    by: Any,
    from_status: str,
    note: str,
    old: tuple[datetime.datetime, datetime.datetime] | None = None,
    new: tuple[datetime.datetime, datetime.datetime] | None = None,
    before: dict[str, Any] | None = None,
    fields: tuple[str, ...] = AUDITED_FIELDS,
) -> AppointmentStatusChange:
    """The history row of a move of `appointment` (already saved: its status now is where
    the move went), from `from_status` ("" for a booking), with the times it left (`old`)
    and took (`new`) when it moved in time. With `before` (the audit snapshot of `fields`
    taken before the change) also the audit row of the update; a booking writes its own."""
    change = AppointmentStatusChange(
        appointment=appointment,
        from_status=from_status,
        to_status=appointment.status,
        old_start=old[0] if old else None,
        old_end=old[1] if old else None,
        new_start=new[0] if new else None,
        new_end=new[1] if new else None,
        changed_by=acting_user(by),
        note=note[:255],
    )
    change.full_clean()
    change.save()
    if before is not None:
        audit.audit_record(
            actor=by,
            action=audit.Action.UPDATE,
            obj=appointment,
            changes=audit.diff(before, audit.snapshot(appointment, fields)),
        )
    return change
