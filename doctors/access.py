"""Who may see or change doctors' timetables: the one choke point of the schedule pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from doctors.models import Doctor, TimeOff, WorkingHours


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
    edit: bool = False,
) -> ScheduleAccess:
    """What the user may see or change of doctors' timetables (DESIGN.md's Roles): front
    desk and administrators edit every doctor's hours and time off; a doctor views their
    own; billing and users without a role nothing. PermissionDenied or Http404."""
    user = request.user
    can_edit = user.has_perm("doctors.change_workinghours")
    if edit and not can_edit:
        raise PermissionDenied("Your role cannot change doctors' hours.")
    own = None
    if not can_edit:
        own = (
            Doctor.objects.filter(user=user).first()
            if user.has_perm("doctors.view_workinghours")
            else None
        )
        if own is None:
            raise PermissionDenied("Your role does not see doctors' timetables.")
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
