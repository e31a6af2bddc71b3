"""Who may do what with patient records (demographics): the one choke point of the patient
pages. Clinical content has its own table in `clinical.access`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from patients.models import Patient

_PERMISSIONS = {
    "view": "patients.view_patient",
    "add": "patients.add_patient",
    "change": "patients.change_patient",
}


def get_patient_for_user(request: HttpRequest, pk: int | None = None, *, action: str = "view"):
    """The patient `pk` (or None without one) if the user may `action` it (view, add or
    change): every role views demographics; the front desk and administrators register
    and change them. PermissionDenied or Http404 otherwise."""
    if not request.user.has_perm(_PERMISSIONS[action]):
        raise PermissionDenied("Your role cannot do this with patient records.")
    if pk is None:
        return None
    return get_object_or_404(Patient, pk=pk)
