"""Middleware of the ground layer that every response passes through."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` on every response the application makes.

    Pages, CSV exports and PDFs carry patients' data, which no browser cache (a shared
    workstation's), proxy or back button should keep; one rule for all is simpler and safer
    than remembering it per view. Static files never reach it: WhiteNoise, above it in
    MIDDLEWARE, answers them with their own long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


NUL_MESSAGE = (
    "What was sent contains a NUL character (U+0000), which no field accepts: remove it and "
    "try again."
)
SELECTION_MESSAGE = "Select the records with the boxes of the list, then pick the action."
DATE_FILTER_MESSAGE = "Pick a year, month or day from the list's date filter."
FILTER_MESSAGE = "Pick a value from the list's filter."
# Record ids are bigint: at most 19 digits, and we keep well inside.
_RECORD_ID = re.compile(r"[0-9]{1,18}")
# The admin's date hierarchy (`created_at__year=2024`).
_DATE_PART = re.compile(r"__(year|month|day)$")


def _values(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            for value in values:
                yield key, value


def malformed(request: HttpRequest) -> str:
    """Why the request's query or form data is no input any page takes ("" when it is not):
    a NUL character (PostgreSQL cannot store one, so a page would fail looking it up), or, in
    the admin, a selection of records or a date filter that is not a number (Django's admin
    would fail on it), or a list filter whose value is none of the field's choices. Files are
    not read, only the form fields beside them."""
    admin = request.path.startswith(reverse("admin:index"))
    choices = _filter_choices(request) if admin else {}
    for key, value in _values(request):
        if "\x00" in key or "\x00" in value:
            return NUL_MESSAGE
        if not admin:
            continue
        if key in ("_selected_action", "index") and not _RECORD_ID.fullmatch(value):
            return SELECTION_MESSAGE
        if _DATE_PART.search(key) and not re.fullmatch(r"[0-9]{1,4}", value):
            return DATE_FILTER_MESSAGE
        if key in choices and value not in choices[key]:
            return FILTER_MESSAGE
    return ""


def _filter_choices(request: HttpRequest) -> dict[str, set[str]]:
    """`field__exact` → the field's choices, for the admin list being asked for: a filter
    value that is none of them would fail on a column of an enumerated type."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return {}
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is None:
        return {}
    return {
        f"{field.name}__exact": {str(value) for value, _ in field.flatchoices}
        for field in model_admin.model._meta.get_fields()
        if getattr(field, "choices", None)
    }


class RefuseMalformedInputMiddleware:
    """Answers 400, with a page that says what is wrong, to a request no page could take
    (see `malformed`), before any view looks it up. Last in MIDDLEWARE, so the page has the
    user and the rest of what base.html needs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = malformed(request)
        if problem:
            return refusal(request, problem)
        return self.get_response(request)


def refusal(request: HttpRequest, problem: str) -> HttpResponse:
    """The 400 answer to malformed input: the page that says what is wrong, or, for a view
    that answers in a format of its own (an API's JSON), its `malformed_input_response`."""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        view = None
    answer = getattr(view, "malformed_input_response", None)
    if answer is not None:
        return answer(request, problem)
    return render(request, "400.html", {"problem": problem}, status=400)
