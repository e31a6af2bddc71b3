"""`demo_accounts` signs the doctor and admin demo logins in with a published authenticator key,
printed with their passwords, so a demo still starts with `make run`."""

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.management.commands.demo_accounts import (
    DEMO_CODE_COMMAND,
    DEMO_TOTP_BASE32,
    DEMO_TOTP_KEY,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(settings) -> str:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    return out.getvalue()


def test_it_gives_the_doctor_and_admin_the_published_authenticator_and_prints_it(printed):
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert sorted(d.user.username for d in devices) == ["admin", "doctor"]
    assert {d.key for d in devices} == {DEMO_TOTP_KEY}
    assert DEMO_TOTP_BASE32 in printed
    assert "otpauth://totp/HMS%3Adoctor?secret=" + DEMO_TOTP_BASE32 in printed
    assert DEMO_CODE_COMMAND in printed


def test_it_keeps_one_authenticator_each_when_run_again(printed, settings):
    call_command("demo_accounts", stdout=StringIO())

    assert TOTPDevice.objects.filter(user__username="doctor").count() == 1


def test_its_printed_command_gives_the_code_the_sign_in_takes(printed, client):
    # The command as printed, with this interpreter in place of .venv/bin/python.
    script = DEMO_CODE_COMMAND.split(" -c ", 1)[1].strip("'")
    code = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    client.post(reverse("login"), {"username": "doctor", "password": "doctor-demo-2026"})

    response = client.post(reverse("accounts:verify"), {"code": code})

    assert response.status_code == 302 and response.url == reverse("home")
