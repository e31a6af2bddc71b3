"""Small helpers shared by the billing views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest

PER_PAGE = 50


def errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
