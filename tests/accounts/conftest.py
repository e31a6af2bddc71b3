"""Helpers of the two-step sign-in tests: they sign in through the pages (password, then code),
not with force_login, which stands for a user who has done both (tests/conftest.py)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery"  # UserFactory's


def code_for(key_hex: str) -> str:
    """The current code of an authenticator app holding `key_hex`."""
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.fixture
def sign_in(client):
    """POST the login page with the user's password; returns the response."""

    def _sign_in(user, next_url: str = ""):
        url = reverse("login") + (f"?next={next_url}" if next_url else "")
        return client.post(url, {"username": user.username, "password": PASSWORD})

    return _sign_in
