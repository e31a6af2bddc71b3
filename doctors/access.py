"""Who may see or change doctors' timetables: the one choke point of the schedule pages.

DESIGN.md's roles: the front desk and administrators edit every doctor's hours and time off
(and so see every timetable); a doctor views their own; billing and users without a role see
none."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.access import AccessTable
from doctors.models import Doctor, TimeOff, WorkingHours


class Need(enum.Enum):
    VIEW = "see doctors' timetables"
    EDIT = "change doctors' hours and time off"


TABLE = AccessTable(
    Need,
    {
        # Without EDIT, a doctor's own timetable only (see get_schedule_for_user).
        Need.VIEW: ("doctors.view_workinghours", "doctors.view_timeoff"),
        Need.EDIT: (
            "doctors.view_workinghours",
            "doctors.add_workinghours",
            "doctors.change_workinghours",
            "doctors.delete_workinghours",
            "doctors.view_timeoff",
            "doctors.add_timeoff",
            "doctors.delete_timeoff",
        ),
    },
)
has_need = TABLE.allows
require = TABLE.require


@dataclass
class ScheduleAccess:
    doctor: Doctor | None = None
    hours: WorkingHours | None = None
    time_off: TimeOff | None = None
    own_only: Doctor | None = None  # set for a doctor: they see their own timetable only
    can_edit: bool = False


def get_schedule_for_user(
    request: HttpRequest,
    *,
    doctor_pk: int | None = None,
    hours_pk: int | None = None,
    time_off_pk: int | None = None,
    need: Need = Need.VIEW,
) -> ScheduleAccess:
    """What the user may see or change of doctors' timetables, with the doctor, hours or
    time off asked for: whoever may EDIT sees every doctor's; whoever may only VIEW sees
    their own doctor's. PermissionDenied before any lookup, then Http404."""
    require(request, need)
    can_edit = has_need(request.user, Need.EDIT)
    own = None
    if not can_edit:
        own = Doctor.objects.filter(user=request.user).first()
        if own is None:
            raise PermissionDenied("Only doctors see a timetable, and only their own.")
    access = ScheduleAccess(own_only=own, can_edit=can_edit)
    if hours_pk is not None:
        access.hours = get_object_or_404(WorkingHours, pk=hours_pk)
        doctor_pk = access.hours.doctor_id
    if time_off_pk is not None:
        access.time_off = get_object_or_404(TimeOff, pk=time_off_pk)
        doctor_pk = access.time_off.doctor_id
    if doctor_pk is not None:
        access.doctor = get_object_or_404(Doctor.objects.select_related("specialty"), pk=doctor_pk)
        if own is not None and access.doctor.pk != own.pk:
            raise PermissionDenied("Doctors see their own timetable only.")
    return access
