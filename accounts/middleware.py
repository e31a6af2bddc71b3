"""The gate of the second factor: a signed-in user who still owes a code (or, for a role that
requires one, an enrolment) reaches only those pages, the login and the logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

from accounts.selectors import pending_step

# Views a user between the password and the code may open.
OPEN_VIEWS = frozenset(
    {"accounts:verify", "accounts:enrol", "accounts:recovery_codes", "login", "logout"}
)
# Set for a session whose user owes nothing (an optional role without a device), so that
# their pages cost no device query; enrolling signs the session in with the device anyway.
NOTHING_OWED = "hms_second_factor_not_owed"


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware (which gives `user.is_verified()`) and Django's
    LoginRequiredMiddleware; the Django admin is behind it like every other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.session.get(NOTHING_OWED) == user.pk:
            return None
        step = pending_step(user)
        if step is None:
            request.session[NOTHING_OWED] = user.pk
            return None
        if request.resolver_match.view_name in OPEN_VIEWS:
            return None
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(f"{resolve_url(f'accounts:{step}')}?{query}")


def forget_nothing_owed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A new sign-in asks again: the user may have enrolled in another browser meanwhile
    (Django keeps the session's data when the same user signs in again)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(NOTHING_OWED, None)
