"""Who may do what with appointments: the one choke point of the booking desk's pages.

DESIGN.md's roles: the front desk and administrators book, reschedule, cancel, check in and
mark no-shows; a doctor views every appointment and marks their own patients as no-shows
(starting and completing visits is `clinical.access`); billing clerks view. The printed day
list is the desk's (every doctor's) and each doctor's own. The messages sent to
patients are the desk's: it sees them and sends them again. A doctor calls the patients of
their own check-in queue (an administrator any queue's); the waiting-room display needs no
login and is not here (appointments.queue_pages).
"""

from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from appointments import selectors
from appointments.models import Appointment
from core import roles
from core.access import AccessTable
from doctors.models import Doctor


class Need(enum.Enum):
    VIEW = "see appointments"
    BOOK = "book appointments"
    RESCHEDULE = "reschedule appointments"
    CANCEL = "cancel appointments"
    CHECK_IN = "check patients in"
    NO_SHOW = "mark patients as no-shows"  # a doctor: their own only (may_mark_no_show)
    NO_SHOW_ANY = "mark any doctor's patients as no-shows"
    MESSAGES = "see the messages sent to patients"
    DAY_LIST = "print any doctor's day list"
    DAY_LIST_OWN = "print your own day list"  # a doctor: get_day_list_doctor checks whose
    RESEND = "send messages to patients again"
    QUEUE_CALL = "call patients from the queue"  # a doctor: their own queue (may_call_queue)


# `add_appointment` marks the desk (front desk and administrators); doctors hold
# `change_appointment` for moves of their own visits only.
_DESK = ("appointments.view_appointment", "appointments.add_appointment")
_DESK_MOVE = (*_DESK, "appointments.change_appointment")
TABLE = AccessTable(
    Need,
    {
        Need.VIEW: ("appointments.view_appointment",),
        Need.BOOK: _DESK,
        Need.RESCHEDULE: _DESK_MOVE,
        Need.CANCEL: _DESK_MOVE,
        Need.CHECK_IN: (*_DESK_MOVE, "appointments.add_attendance"),
        Need.NO_SHOW: ("appointments.view_appointment", "appointments.change_appointment"),
        Need.NO_SHOW_ANY: _DESK_MOVE,
        Need.MESSAGES: ("appointments.view_appointment", "appointments.view_appointmentmessage"),
        Need.DAY_LIST: _DESK,
        Need.DAY_LIST_OWN: ("appointments.view_appointment", "appointments.change_appointment"),
        Need.RESEND: (
            "appointments.view_appointment",
            "appointments.view_appointmentmessage",
            "appointments.add_appointmentmessage",
        ),
        Need.QUEUE_CALL: (
            "appointments.view_appointment",
            "appointments.change_appointment",
            "appointments.change_attendance",
        ),
    },
)
has_need = TABLE.allows
require = TABLE.require


def may_mark_no_show(user: Any, appointment: Appointment) -> bool:
    """The desk marks any appointment a no-show; a doctor only their own."""
    if has_need(user, Need.NO_SHOW_ANY):
        return True
    own = appointment.doctor.user_id is not None and appointment.doctor.user_id == user.pk
    return own and has_need(user, Need.NO_SHOW)


def may_call_queue(user: Any, doctor: Doctor) -> bool:
    """A doctor calls their own queue's patients (as they run their own visits); an
    administrator any doctor's. The front desk checks in but does not call."""
    if not has_need(user, Need.QUEUE_CALL):
        return False
    if roles.role_of(user) == roles.ADMINISTRATOR:
        return True
    return doctor.user_id is not None and doctor.user_id == user.pk


def get_queue_doctor_for_user(request: HttpRequest, pk: int) -> Doctor:
    """The doctor `pk` whose queue the user calls: PermissionDenied before any lookup for a
    role that never calls, Http404 for no such doctor, PermissionDenied for another's."""
    require(request, Need.QUEUE_CALL)
    doctor = Doctor.objects.filter(pk=pk).first()
    if doctor is None:
        raise Http404("No such doctor.")
    if not may_call_queue(request.user, doctor):
        raise PermissionDenied("Doctors call their own queue only.")
    return doctor


def get_appointment_for_user(request: HttpRequest, pk: int, *, need: Need) -> Appointment:
    """The appointment `pk`, ready for its page, if the user has `need` (for NO_SHOW, a
    doctor: on their own patient's). PermissionDenied before any lookup, then Http404."""
    require(request, need)
    try:
        appointment = selectors.appointment_detail(pk=pk)
    except Appointment.DoesNotExist as missing:
        raise Http404("No such appointment.") from missing
    if need is Need.NO_SHOW and not may_mark_no_show(request.user, appointment):
        raise PermissionDenied("Doctors mark their own patients only.")
    return appointment


def get_day_list_doctor(request: HttpRequest, code: str) -> Doctor | None:
    """Whose day list the user may print: for the desk, the doctor of `code` (Http404 when
    there is none) or None for every doctor; for a doctor, their own (with their code or
    without one), PermissionDenied for another's code or a login linked to no doctor."""
    if has_need(request.user, Need.DAY_LIST):
        if not code:
            return None
        doctor = Doctor.objects.select_related("specialty").filter(code=code).first()
        if doctor is None:
            raise Http404("No doctor has this code.")
        return doctor
    require(request, Need.DAY_LIST_OWN)
    own = Doctor.objects.select_related("specialty").filter(user=request.user).first()
    if own is None:
        raise PermissionDenied("Your login is not linked to a doctor.")
    if code and code != own.code:
        raise PermissionDenied("Doctors print their own day list only.")
    return own
