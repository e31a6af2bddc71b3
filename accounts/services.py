"""Writes of the second factor: enrolling an authenticator app, recovery codes, checking a
code, passkeys, and removing a user's devices (by themselves or by an administrator), all
audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp_webauthn.models import WebAuthnCredential

from core.audit import Action, audit_record
from core.params import is_digits

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
PASSKEY_NAME = "Passkey"
RECOVERY_CODE_COUNT = 10


def normalise_code(code: str) -> str:
    """Codes are typed with spaces or dashes at times; recovery codes are lower case."""
    return "".join(ch for ch in code if ch.isalnum()).lower()


def authenticator_key_new() -> str:
    """A new random authenticator secret (20 bytes, as hex), kept in the session while the
    user enrols: nothing is stored until a code confirms it."""
    return default_key()


@transaction.atomic
def authenticator_confirm(
    *, user: Any, key_hex: str, code: str, by: Any
) -> tuple[TOTPDevice, list[str]] | None:
    """Give `user` the authenticator of secret `key_hex` if `code` is its current code (the
    step before or after counts too, for a phone's clock); it replaces their previous one.
    Returns the device and the user's new recovery codes (shown once), or None when the code
    is wrong (nothing changes)."""
    device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, key=key_hex, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = normalise_code(code)
    if not (is_digits(code, at_most=8) and totp.verify(int(code), device.tolerance)):
        return None
    device.last_t = totp.t()  # the code that confirmed it cannot sign in again
    _authenticator_save(device, by=by)
    return device, recovery_codes_replace(user=user, by=by)


def _authenticator_save(device: TOTPDevice, *, by: Any) -> None:
    """Store `device` as its user's one authenticator (replacing any other), audited."""
    TOTPDevice.objects.filter(user=device.user).delete()
    device.full_clean()
    device.save()
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=device.user,
        changes={"second_factor": {"before": None, "after": AUTHENTICATOR_NAME}},
    )


@transaction.atomic
def recovery_codes_replace(*, user: Any, by: Any) -> list[str]:
    """Ten new single-use recovery codes for `user`; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=user,
        changes={"recovery_codes": {"before": None, "after": f"{len(codes)} new codes"}},
    )
    return codes


def code_check(*, user: Any, code: str) -> Device | None:
    """The device that accepts `code`: six digits are tried against the authenticator app,
    anything else against the recovery codes (a recovery code works once). Each device
    throttles itself after a wrong code (django-otp: 1, 2, 4 … seconds), so a wrong
    app code does not slow down a recovery code, nor the other way round."""
    code = normalise_code(code)
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(code):
                return device
    return None


@transaction.atomic
def devices_remove(*, user: Any, by: Any) -> int:
    """Remove the user's authenticator, passkeys and recovery codes (they enrol again at their next
    sign-in if their role requires it); returns how many devices went. Audited, also when
    there was nothing to remove."""
    kinds = (TOTPDevice, WebAuthnCredential, StaticDevice)
    removed = [
        device.name for model in kinds for device in model.objects.filter(user=user).order_by("pk")
    ]
    for model in kinds:
        model.objects.filter(user=user).delete()
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=user,
        changes={"second_factor": {"before": removed, "after": []}},
    )
    return len(removed)


@transaction.atomic
def authenticator_install(*, user: Any, key_hex: str, by: Any) -> TOTPDevice:
    """Give `user` a confirmed authenticator with a known secret (the demo accounts' published
    one), replacing their devices; audited like an enrolment."""
    device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, key=key_hex, confirmed=True)
    _authenticator_save(device, by=by)
    return device


def passkey_record_added(*, device: WebAuthnCredential, by: Any) -> None:
    """The audit row of a passkey that django-otp-webauthn's helper has just stored (the
    helper, accounts.passkeys.PasskeyHelper, calls this inside the same transaction)."""
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=device.user,
        changes={"second_factor": {"before": None, "after": device.name}},
    )


def passkey_record_used(*, device: WebAuthnCredential) -> None:
    """The audit row of a second step passed with a passkey (the password's own LOGIN row
    was written at the first step)."""
    audit_record(
        actor=device.user,
        action=Action.LOGIN,
        obj=device.user,
        changes={"second_factor": device.name},
    )


@transaction.atomic
def passkey_remove(*, device: WebAuthnCredential, by: Any) -> None:
    """Remove one passkey (its attestation goes with it), audited. With the user's last
    device go their recovery codes: they stand in for a lost device, and left alone they
    would count as one that must be used before another can be added."""
    user, name = device.user, device.name
    device.delete()
    changes: dict[str, Any] = {"second_factor": {"before": name, "after": None}}
    last = not any(
        model.objects.filter(user=user).exists() for model in (TOTPDevice, WebAuthnCredential)
    )
    if last and StaticDevice.objects.filter(user=user).delete()[0]:
        changes["recovery_codes"] = {"before": RECOVERY_NAME, "after": None}
    audit_record(actor=by, action=Action.UPDATE, obj=user, changes=changes)
