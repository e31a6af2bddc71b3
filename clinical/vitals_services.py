"""Writes of vital signs: a reading taken at a visit in progress (clinical.vitals_models).

Only the visit's own doctor (or an administrator) records, while the visit is open, as for
its items (clinical.services). Each reading leaves an audit row with its values.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from appointments.models import Attendance
from clinical import vitals
from clinical.services import _lock_visit, _require_open, _require_runner
from clinical.vitals_models import VitalsReading
from core import audit
from core.actors import acting_user

_AUDITED = ("taken_at", *vitals.ENTERED_FIELDS, "bmi")


@transaction.atomic
def vitals_record(
    *,
    attendance: Attendance,
    by: Any,
    taken_at: datetime.datetime | None = None,
    systolic: int | None = None,
    diastolic: int | None = None,
    pulse: int | None = None,
    temperature: Decimal | None = None,
    respiratory_rate: int | None = None,
    spo2: int | None = None,
    weight: Decimal | None = None,
    height: Decimal | None = None,
) -> VitalsReading:
    """Record the vital signs taken at a visit in progress (`taken_at`: now by default).

    Raises ValidationError naming each field to fix (clinical.vitals.check): a value that
    cannot be real, half a blood pressure, a diastolic not below the systolic, or nothing.
    """
    attendance, appointment = _lock_visit(attendance)
    _require_runner(by, appointment)
    _require_open(attendance)
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "pulse": pulse,
        "temperature": temperature,
        "respiratory_rate": respiratory_rate,
        "spo2": spo2,
        "weight": weight,
        "height": height,
    }
    vitals.check(values)
    reading = VitalsReading(
        attendance=attendance,
        taken_at=taken_at or timezone.now(),
        recorded_by=acting_user(by),
        **values,
    )
    reading.full_clean()
    reading.save()
    reading.refresh_from_db(fields=["bmi"])  # PostgreSQL computed it
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=reading,
        patient=attendance.patient,
        changes=audit.created(reading, _AUDITED),
    )
    return reading
