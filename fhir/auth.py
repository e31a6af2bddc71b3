"""Who is calling: an API token (`Authorization: Bearer …`), or a signed-in browser whose
session has given its second factor as the pages require. Anything else is a 401 (with
`WWW-Authenticate: Bearer`), never a redirect to the login page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from accounts.middleware import second_factor_owed
from fhir import selectors, services
from fhir.errors import Forbidden, Unauthorized
from fhir.models import ApiToken

SIGN_IN = (
    "Send an API token as 'Authorization: Bearer <token>' (make one on your account's "
    "API tokens page), or sign in to the site in this browser."
)


@dataclass(frozen=True)
class Caller:
    user: Any
    token: ApiToken | None

    @property
    def bucket(self) -> str:
        """Whose count the throttle adds the request to: the token's, else the user's."""
        return f"token:{self.token.pk}" if self.token else f"user:{self.user.pk}"


def authenticate(request: HttpRequest) -> Caller:
    """The caller, with `request.user` set to the token's user; Unauthorized otherwise."""
    header = request.headers.get("Authorization")
    if header is not None:
        return _token_caller(request, header)
    user = request.user
    if not user.is_authenticated:
        raise Unauthorized(SIGN_IN)
    if second_factor_owed(request):
        raise Unauthorized(
            "Finish signing in first: this session has not given its second factor yet "
            "(or use an API token)."
        )
    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        _check_csrf(request)
    return Caller(user=user, token=None)


def _token_caller(request: HttpRequest, header: str) -> Caller:
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized(SIGN_IN, invalid_token=True)
    token = selectors.api_token_for_secret(secret=secret)
    if token is None:
        raise Unauthorized("This API token is not known here.", invalid_token=True)
    if token.revoked_at is not None:
        raise Unauthorized(
            f"This API token ({token.prefix}…) was revoked; make a new one.", invalid_token=True
        )
    if token.expires_at <= timezone.now():
        raise Unauthorized(
            f"This API token ({token.prefix}…) expired on {token.expires_at:%Y-%m-%d}; "
            "make a new one.",
            invalid_token=True,
        )
    if not token.user.is_active:
        raise Unauthorized("The account of this API token is deactivated.", invalid_token=True)
    services.api_token_used(token=token)
    request.user = token.user
    return Caller(user=token.user, token=token)


def _check_csrf(request: HttpRequest) -> None:
    """A write with the session's cookie must carry the page's CSRF token, as a form does
    (the views are csrf_exempt so that token callers need none, and so that a refusal is an
    OperationOutcome, not Django's HTML page)."""
    refusal = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
    if refusal is not None:
        raise Forbidden(
            "A change made with the browser's session needs its CSRF token "
            "(X-CSRFToken header); or use an API token."
        )
