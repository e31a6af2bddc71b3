"""What the clinical views share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from core import audit
from patients.models import Patient


def _log_view(request: HttpRequest, obj: models.Model, patient: Patient) -> None:
    audit.audit_view(actor=request.user, patient_ids=[patient.pk], obj=obj)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)
