"""Two-step sign-in: the second step after the password (a code, or a passkey), enrolment of
an authenticator app or a passkey, recovery codes, each user's own settings page, and the
administrators' reset page. The passkeys' JSON steps are accounts.passkey_views."""

from __future__ import annotations

import base64

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import access, selectors, services
from accounts.forms import CodeForm
from accounts.passkeys import passkey_page_config, passkeys_offered
from accounts.qr import qr_svg

# The secret being enrolled, until a code confirms it.
ENROL_KEY = "hms_enrol_totp_key"
# The recovery codes just made, shown once by `recovery_codes` and then dropped.
NEW_CODES = "hms_new_recovery_codes"
WRONG_CODE = (
    "That code is not right, or it was used already. App codes change every 30 seconds; "
    "after several wrong codes, wait a few seconds before the next try."
)


def next_url_of(request: HttpRequest) -> str:
    """The `next` of the request when it is safe, else the home page."""
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_out(request: HttpRequest, credentials: dict[str, str]) -> HttpResponse:
    """django-axes' lockout page; the half-signed-in session ends."""
    logout(request)
    return get_lockout_response(request, None, credentials)


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The step after the password for a user with an authenticator app or a passkey. A wrong
    code counts as a failed login for django-axes (same lockout as the password) and the
    device throttles itself too; so does a failed passkey (accounts.passkey_views)."""
    user, next_url = request.user, next_url_of(request)
    if user.is_verified() or selectors.pending_step(user) != selectors.VERIFY:
        return redirect(next_url)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.code_check(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = selectors.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Each works once: "
                    "make new ones on the Two-step sign-in page when few are left.",
                )
            return redirect(next_url)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request, credentials)
        form.add_error("code", WRONG_CODE)
    has_passkeys = selectors.passkeys_of(user).exists()
    offered = has_passkeys and passkeys_offered(request)
    context = {
        "form": form,
        "next": next_url,
        "has_authenticator": selectors.authenticator_of(user) is not None,
        "has_passkeys": has_passkeys,
        "passkey_config": passkey_page_config(request, next_url=next_url) if offered else None,
        "passkey_host": settings.OTP_WEBAUTHN_RP_ID,
    }
    return render(request, "accounts/verify.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), confirm with a
    code, then see the recovery codes once. Also replaces the app of a signed-in user."""
    user, next_url = request.user, next_url_of(request)
    if not user.is_verified() and selectors.pending_step(user) == selectors.VERIFY:
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
    key = request.session.get(ENROL_KEY) or services.authenticator_key_new()
    request.session[ENROL_KEY] = key
    form = CodeForm(request.POST or None, submit="Turn on two-step sign-in")
    if request.method == "POST" and form.is_valid():
        done = services.authenticator_confirm(
            user=user, key_hex=key, code=form.cleaned_data["code"], by=user
        )
        if done is not None:
            device, request.session[NEW_CODES] = done
            del request.session[ENROL_KEY]
            otp_login(request, device)
            messages.success(request, "Two-step sign-in is on.")
            query = urlencode({"next": next_url})
            return redirect(f"{reverse('accounts:recovery_codes')}?{query}")
        form.add_error("code", WRONG_CODE)
    device = TOTPDevice(user=user, key=key)  # not saved: for its setup link
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": qr_svg(device.config_url, label="QR code to add this account to your app"),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": device.config_url,
        "required": selectors.second_factor_required(user),
        **_passkey_registration(request, next_url=next_url),
    }
    return render(request, "accounts/enrol.html", context)


def _passkey_registration(request: HttpRequest, *, next_url: str) -> dict:
    """What a page that offers to register a passkey needs (nothing where it cannot)."""
    offered = passkeys_offered(request)
    return {
        "passkey_config": passkey_page_config(request, next_url=next_url) if offered else None,
        "passkey_host": settings.OTP_WEBAUTHN_RP_ID,
    }


@never_cache
@require_safe
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown this once."""
    codes = request.session.pop(NEW_CODES, None)
    if not codes:
        messages.info(request, "Recovery codes are shown only once, when they are made.")
        return redirect("accounts:two_step")
    context = {"codes": codes, "next": next_url_of(request)}
    return render(request, "accounts/recovery_codes.html", context)


@never_cache
@require_safe
def two_step(request: HttpRequest) -> HttpResponse:
    """The user's own two-step sign-in settings."""
    user = request.user
    context = {
        "authenticator": selectors.authenticator_of(user),
        "passkeys": list(selectors.passkeys_of(user)),
        "codes_left": selectors.recovery_codes_left(user),
        "required": selectors.second_factor_required(user),
        **_passkey_registration(request, next_url=reverse("accounts:two_step")),
    }
    return render(request, "accounts/two_step.html", context)


@require_POST
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the user's own passkeys; not the last second factor of a role that
    requires one (they would have to enrol again at once)."""
    device = access.get_own_passkey(request, pk)
    others = selectors.passkeys_of(request.user).exclude(pk=device.pk).exists()
    if selectors.second_factor_required(request.user) and not (
        others or selectors.authenticator_of(request.user)
    ):
        messages.error(
            request,
            "This passkey is your only second factor, which your role requires: add another "
            "passkey or an authenticator app first.",
        )
        return redirect("accounts:two_step")
    services.passkey_remove(device=device, by=request.user)
    messages.success(request, "Passkey removed.")
    return redirect("accounts:two_step")


@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    if not selectors.has_second_factor(request.user):
        messages.error(request, "Set up an authenticator app or a passkey first.")
        return redirect("accounts:two_step")
    request.session[NEW_CODES] = services.recovery_codes_replace(user=request.user, by=request.user)
    messages.success(request, "New recovery codes made; the old ones no longer work.")
    return redirect("accounts:recovery_codes")


@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    if selectors.second_factor_required(request.user):
        raise PermissionDenied("Your role requires two-step sign-in.")
    services.devices_remove(user=request.user, by=request.user)
    messages.success(request, "Two-step sign-in is off: your password alone signs you in.")
    return redirect("accounts:two_step")


@never_cache
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Administrators: who has two-step sign-in, with a reset for a lost phone."""
    access.require_administrator(request)
    context = {"people": selectors.users_with_second_factor()}
    return render(request, "accounts/staff_list.html", context)


@require_POST
def staff_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.get_user_for_reset(request, pk)
    services.devices_remove(user=person, by=request.user)
    messages.success(
        request,
        f"Two-step sign-in of {person.get_username()} was reset: they set it up again "
        "at their next sign-in if their role requires it.",
    )
    return redirect("accounts:staff_list")
