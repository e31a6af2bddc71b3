"""Who may do what with patient records (demographics): the one choke point of the patient
pages. DESIGN.md's roles: every role views demographics; the front desk and administrators
register and change them. Clinical content has its own table in `clinical.access`."""

from __future__ import annotations

import enum

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.access import AccessTable
from patients.models import Patient


class Need(enum.Enum):
    VIEW = "see patients' details"
    ADD = "register patients"
    CHANGE = "change, deactivate or reactivate patients"


TABLE = AccessTable(
    Need,
    {
        Need.VIEW: ("patients.view_patient",),
        Need.ADD: ("patients.view_patient", "patients.add_patient"),
        Need.CHANGE: ("patients.view_patient", "patients.change_patient"),
    },
)
has_need = TABLE.allows
require = TABLE.require


def get_patient_for_user(request: HttpRequest, pk: int, *, need: Need = Need.VIEW) -> Patient:
    """The patient `pk` if the user has `need`: PermissionDenied first, then Http404."""
    require(request, need)
    return get_object_or_404(Patient, pk=pk)
