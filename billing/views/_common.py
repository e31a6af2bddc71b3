"""Small helpers shared by the billing views."""

from __future__ import annotations

from django.core.exceptions import ValidationError

PER_PAGE = 50


def errors(error: ValidationError) -> str:
    return " ".join(error.messages)
