"""Small helpers shared by the billing views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest

PER_PAGE = 50
# Past any real list, and low enough that the page's OFFSET fits PostgreSQL's bigint.
MAX_PAGE = 1_000_000


def errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1
