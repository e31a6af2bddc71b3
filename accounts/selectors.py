"""Reads about a user's second factor: whether their role requires one, which devices they
have (authenticator app, passkeys, recovery codes), and the staff list of the
administrators' reset page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from core.roles import role_of

ENROL = "enrol"
VERIFY = "verify"


def second_factor_required(user: Any) -> bool:
    """True when the user's role (superusers count as administrators) must use a second
    factor: `settings.HMS_2FA_REQUIRED_ROLES`."""
    return role_of(user) in set(settings.HMS_2FA_REQUIRED_ROLES)


def authenticator_of(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def passkeys_of(user: Any) -> QuerySet[WebAuthnCredential]:
    """The user's confirmed passkeys, oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def has_second_factor(user: Any) -> bool:
    """True when the user has a confirmed authenticator app or passkey. One query."""
    return (
        User.objects.filter(pk=user.pk).filter(_has(TOTPDevice) | _has(WebAuthnCredential)).exists()
    )


def _has(model: type) -> Exists:
    return Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True))


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_step(user: Any) -> str | None:
    """What a signed-in user who has not given a second factor this session still has to do:
    VERIFY (they have an authenticator app or a passkey), ENROL (their role requires one and
    they have none), or nothing. Costs one query (two for a user without a role cached)."""
    if has_second_factor(user):
        return VERIFY
    return ENROL if second_factor_required(user) else None


def users_with_second_factor() -> QuerySet[User]:
    """Active users with `has_authenticator`, `has_passkey` and `has_recovery_codes`
    annotated, by username; their groups prefetched (for their role)."""
    return (
        User.objects.filter(is_active=True)
        .annotate(
            has_authenticator=_has(TOTPDevice),
            has_passkey=_has(WebAuthnCredential),
            has_recovery_codes=Exists(StaticDevice.objects.filter(user=OuterRef("pk"))),
        )
        .prefetch_related("groups")
        .order_by("username")
    )
