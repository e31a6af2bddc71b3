"""Who may use the API, beside what the apps' own access tables say.

Each resource type asks the access table of the app it reads (Patient: patients.access);
the doctors' own table is about timetables, so reading doctors (Practitioner,
PractitionerRole) has its need here, on the same permissions the booking pages use. And the
one choke point of the token pages: a user's own tokens only."""

from __future__ import annotations

import enum

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.access import AccessTable
from fhir.models import ApiToken


class Need(enum.Enum):
    DOCTORS = "see doctors and their specialties"


TABLE = AccessTable(Need, {Need.DOCTORS: ("doctors.view_doctor", "doctors.view_specialty")})


def get_own_token(request: HttpRequest, pk: int) -> ApiToken:
    """One of the signed-in user's own tokens (404 for anyone else's)."""
    return get_object_or_404(ApiToken, pk=pk, user=request.user)
