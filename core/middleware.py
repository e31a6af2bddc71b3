"""Middleware of the ground layer that every response passes through."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
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
