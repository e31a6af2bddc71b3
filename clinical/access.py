"""Who may see and do what in the clinical pages: the one choke point every view calls first.

DESIGN.md's roles: doctors read every chart and record and correct history; only an
appointment's own doctor (or an administrator) starts, records and completes its visit;
billing clerks see billable items only; the front desk and users without a role see no
clinical content. Permission checks come before any lookup, so a refused user cannot probe
which records exist.
"""

from __future__ import annotations

import enum
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from appointments.models import Appointment, Attendance
from core import roles
from core.access import AccessTable
from doctors.models import Doctor
from patients.models import MedicalHistory, Patient


class Need(enum.Enum):
    CHART = "read the chart: history, visits and notes"
    BILLABLE_ITEMS = "read billable items, without diagnoses or notes"
    HISTORY_ADD = "add history entries"
    HISTORY_CORRECT = "correct history entries"
    VISIT_VIEW = "read a visit"
    VISIT_RUN = "start, record and complete a visit"
    DAY = "see a doctor's day"
    AUDIT = "browse the audit log"


# Every permission listed is required (the role groups of core.roles grant them).
TABLE = AccessTable(
    Need,
    {
        Need.CHART: ("patients.view_medicalhistory", "appointments.view_attendance"),
        Need.BILLABLE_ITEMS: ("patients.view_billable_items",),
        Need.HISTORY_ADD: ("patients.view_medicalhistory", "patients.add_medicalhistory"),
        Need.HISTORY_CORRECT: ("patients.view_medicalhistory", "patients.change_medicalhistory"),
        Need.VISIT_VIEW: ("patients.view_medicalhistory", "appointments.view_attendance"),
        Need.VISIT_RUN: (
            "patients.view_medicalhistory",
            "patients.add_medicalhistory",
            "appointments.change_attendance",
            "appointments.change_appointment",
        ),
        Need.DAY: ("appointments.view_appointment", "appointments.view_attendance"),
        Need.AUDIT: ("core.view_auditevent",),
    },
)


def has_need(user: User | AnonymousUser, need: Need) -> bool:
    if need is Need.BILLABLE_ITEMS and TABLE.allows(user, Need.CHART):
        return True  # whoever reads the whole chart reads its billable part
    return TABLE.allows(user, need)


def is_administrator(user: User | AnonymousUser) -> bool:
    return roles.role_of(user) == roles.ADMINISTRATOR


def may_run_visit(user: Any, appointment: Appointment) -> bool:
    """Only the appointment's own doctor, or an administrator, runs its visit."""
    if not has_need(user, Need.VISIT_RUN):
        return False
    if is_administrator(user):
        return True
    doctor = appointment.doctor
    return doctor.user_id is not None and doctor.user_id == user.pk


def require(request: HttpRequest, need: Need) -> None:
    if not has_need(request.user, need):
        raise PermissionDenied(f"You may not {need.value}.")


def get_chart_patient_for_user(request: HttpRequest, pk: int, *, need: Need) -> Patient:
    """The patient `pk` whose chart, billable items or access log (`need`) the user asks for."""
    require(request, need)
    return get_object_or_404(Patient, pk=pk)


def get_history_entry_for_user(request: HttpRequest, pk: int, *, need: Need) -> MedicalHistory:
    require(request, need)
    return get_object_or_404(
        MedicalHistory.objects.select_related("patient", "medication", "procedure"), pk=pk
    )


def get_visit_appointment_for_user(request: HttpRequest, pk: int, *, need: Need) -> Appointment:
    """The appointment `pk` whose visit the user asks to start (VISIT_RUN: its own doctor or
    an administrator). Booking-desk checks are `appointments.access.get_appointment_for_user`."""
    require(request, need)
    appointment = get_object_or_404(Appointment.objects.select_related("doctor", "patient"), pk=pk)
    if need is Need.VISIT_RUN and not may_run_visit(request.user, appointment):
        raise PermissionDenied("Only the appointment's own doctor can run this visit.")
    return appointment


def get_attendance_for_user(request: HttpRequest, pk: int, *, need: Need) -> Attendance:
    require(request, need)
    attendance = get_object_or_404(
        Attendance.objects.select_related("appointment__doctor", "patient"), pk=pk
    )
    if need is Need.VISIT_RUN and not may_run_visit(request.user, attendance.appointment):
        raise PermissionDenied("Only the appointment's own doctor can run this visit.")
    return attendance


def get_doctor_for_user(request: HttpRequest, pk: str | int | None) -> Doctor | None:
    """The doctor whose day to show: the one asked for, else the user's own (None if the
    user has no doctor profile). Anyone who may see a day may see any doctor's day."""
    require(request, Need.DAY)
    if pk:
        try:
            return Doctor.objects.get(pk=int(pk))
        except (ValueError, Doctor.DoesNotExist):
            raise Http404("No such doctor.") from None
    return Doctor.objects.filter(user_id=request.user.pk).first()
