"""Small helpers shared by the billing views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core import pagination

PER_PAGE = 50


def errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def page_number(request: HttpRequest) -> int:
    return pagination.page_number(request.GET.get("page"))
