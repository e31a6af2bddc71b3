"""Who may use the second-factor pages: everyone their own; administrators reset others'."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_otp_webauthn.models import WebAuthnCredential

from core.roles import ADMINISTRATOR, role_of


def require_administrator(request: HttpRequest) -> None:
    if role_of(request.user) != ADMINISTRATOR:
        raise PermissionDenied("Only administrators manage other people's sign-in.")


def get_user_for_reset(request: HttpRequest, pk: int) -> User:
    """The user whose second factor an administrator resets (active users only)."""
    require_administrator(request)
    return get_object_or_404(User, pk=pk, is_active=True)


def get_own_passkey(request: HttpRequest, pk: int) -> WebAuthnCredential:
    """One of the signed-in user's own passkeys (404 for anyone else's)."""
    return get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
