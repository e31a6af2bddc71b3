"""The gate of the second factor: a signed-in user who still owes a code (or, for a role that
requires one, an enrolment) reaches only those pages, the login and the logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

from accounts.selectors import pending_step, second_factor_required
from core.roles import role_of

# Views a user between the password and the second factor may open: the code step, the
# enrolment, and the passkey steps behind their buttons (django-otp-webauthn refuses to
# register a passkey for a user who has a device and has not used it this session).
OPEN_VIEWS = frozenset(
    {
        "accounts:verify",
        "accounts:enrol",
        "accounts:recovery_codes",
        "login",
        "logout",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:js-i18n-catalog",
    }
)
# Set for a session whose user owes nothing (an optional role without a device), so that
# their pages cost no device query; enrolling signs the session in with the device anyway.
# Its value names the user and the role it was decided for (nothing_owed_stamp): a user
# given a role that requires a second factor mid-session owes one from their next page on.
NOTHING_OWED = "hms_second_factor_not_owed"


def nothing_owed_stamp(user: Any) -> str:
    """The user and their role now. The role costs the query of their groups, which each
    page makes anyway for the navigation (core.roles.role_of keeps it for the request)."""
    return f"{user.pk}:{role_of(user) or ''}"


def second_factor_owed(request: HttpRequest) -> str | None:
    """The step (VERIFY or ENROL) the signed-in user of the request still owes this session
    before any page opens, or None (also for a visitor who is not signed in). A session that
    owes nothing is marked so, so its next pages cost no device query."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    stamp = nothing_owed_stamp(user)
    if request.session.get(NOTHING_OWED) == stamp and not second_factor_required(user):
        return None
    step = pending_step(user)
    if step is None:
        request.session[NOTHING_OWED] = stamp
    return step


def second_factor_checked_by_view(view: Callable) -> Callable:
    """Mark a view that checks `second_factor_owed` itself and answers in its own way (an
    API answers 401, never a redirect to the code page)."""
    view.second_factor_checked_by_view = True
    return view


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
        if getattr(view_func, "second_factor_checked_by_view", False):
            return None
        step = second_factor_owed(request)
        if step is None or request.resolver_match.view_name in OPEN_VIEWS:
            return None
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(f"{resolve_url(f'accounts:{step}')}?{query}")


def forget_nothing_owed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A new sign-in asks again: the user may have enrolled in another browser meanwhile
    (Django keeps the session's data when the same user signs in again)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(NOTHING_OWED, None)
