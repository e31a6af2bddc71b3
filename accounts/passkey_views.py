"""The JSON steps of django-otp-webauthn behind the passkey buttons, made to keep the rules of
the code step: django-axes counts a failed passkey as a failed login and refuses a locked
login (then ends the half-signed-in session), and a passkey sign-in is audited. Registering
a first passkey also makes recovery codes, shown once, as enrolling an authenticator does."""

from __future__ import annotations

import json

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from accounts import selectors, services
from accounts.views import NEW_CODES, next_url_of

LOCKED = (
    "Too many failed sign-in attempts: signing in is locked for a while, and you have been "
    "signed out. Try again later, or ask an administrator."
)


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = LOCKED
    default_code = "locked_out"


def _credentials(request: HttpRequest) -> dict[str, str]:
    return {"username": request.user.get_username()}


def _refuse_if_locked(request: HttpRequest) -> None:
    if AxesProxyHandler.is_locked(request, _credentials(request)):
        raise LockedOut()


class _AxesOnPasskeys:
    """Mixed into both authentication steps (the user is signed in with their password)."""

    def check_can_authenticate(self) -> None:
        super().check_can_authenticate()
        _refuse_if_locked(self.request)

    def handle_exception(self, exc: Exception):
        request = self.request
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(exc, LockedOut):
            credentials = _credentials(request)
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                exc = LockedOut()
        if isinstance(exc, LockedOut):
            logout(request)
            # Answered here in JSON, which the page's script shows, rather than replaced by
            # django-axes' middleware with its HTML page, which a script cannot show.
            request.axes_locked_out = False
        return super().handle_exception(exc)


class PasskeyAuthenticationBegin(_AxesOnPasskeys, BeginCredentialAuthenticationView):
    pass


class PasskeyAuthenticationComplete(_AxesOnPasskeys, CompleteCredentialAuthenticationView):
    def complete_auth(self, device) -> None:
        super().complete_auth(device)
        services.passkey_record_used(device=device)


class PasskeyRegistrationComplete(CompleteCredentialRegistrationView):
    """Answers also `redirect_url`: the recovery codes when this user had none (made now),
    else the page the registration started from."""

    def post(self, *args, **kwargs) -> JsonResponse:
        response = super().post(*args, **kwargs)  # raises unless the passkey was stored
        request, user = self.request, self.request.user
        next_url = next_url_of(request) if "next" in request.GET else reverse("accounts:two_step")
        redirect_url = next_url
        if not selectors.recovery_codes_left(user):
            request.session[NEW_CODES] = services.recovery_codes_replace(user=user, by=user)
            redirect_url = f"{reverse('accounts:recovery_codes')}?{urlencode({'next': next_url})}"
        messages.success(request, "Passkey added: sign in with it after your password.")
        return JsonResponse({**json.loads(response.content), "redirect_url": redirect_url})
