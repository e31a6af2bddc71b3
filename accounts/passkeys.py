"""Passkeys (django-otp-webauthn) as a second factor: the library's helper made to name and
audit what it stores and to accept the page's own origin, and what a page needs to offer a
passkey (whether it may, and the configuration its scripts read)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.http import urlencode
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

from accounts import services


def _host(request: HttpRequest) -> str:
    return split_domain_port(request.get_host())[0]


def passkeys_offered(request: HttpRequest) -> bool:
    """Whether a page of this request can offer passkeys: browsers make and use them only in a
    secure context (HTTPS, or localhost) on the relying party's host or a host under it
    (settings.OTP_WEBAUTHN_RP_ID). Elsewhere (e.g. http://127.0.0.1 in development) the
    pages leave them out instead of showing a button that can only fail."""
    host, rp_id = _host(request), settings.OTP_WEBAUTHN_RP_ID
    fits = host == rp_id or host.endswith(f".{rp_id}")
    local = host == "localhost" or host.endswith(".localhost")
    return fits and (request.is_secure() or local)


def passkey_page_config(request: HttpRequest, *, next_url: str) -> dict[str, Any]:
    """The configuration the library's scripts read (json_script "otp_webauthn_config"), with
    `next_url` passed to the registration's last step, which answers where to go next."""
    config = get_configuration(request)
    complete = reverse("otp_webauthn:credential-registration-complete")
    config["completeRegistrationUrl"] = f"{complete}?{urlencode({'next': next_url})}"
    return config


class PasskeyHelper(WebAuthnHelper):
    """settings.OTP_WEBAUTHN_HELPER_CLASS."""

    def get_allowed_origins(self) -> list[str]:
        """The configured origin (https://RP_ID), and this request's own when it may use
        passkeys: a deployment on another port, or http://localhost:PORT in development.
        The host was checked against ALLOWED_HOSTS; a page elsewhere signs another origin
        into its response, which then matches neither."""
        origins = list(super().get_allowed_origins())
        if passkeys_offered(self.request):
            origins.append(f"{self.request.scheme}://{self.request.get_host()}")
        return origins

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = services.PASSKEY_NAME
        return device

    def register_complete(self, user, state: dict, data: dict) -> WebAuthnCredential:
        """Store the new passkey and its audit row together."""
        with transaction.atomic():
            device = super().register_complete(user, state, data)
            services.passkey_record_added(device=device, by=user)
        return device
