"""Two-step sign-in: enrolment on first sign-in for the roles that require it, the code step
for anyone with an authenticator, recovery codes, and django-axes on the code step."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.views import ENROL_KEY
from core.models import AuditEvent
from tests.accounts.conftest import authenticator, code_for

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:enrol")
VERIFY = reverse("accounts:verify")


def test_it_sends_a_doctor_without_a_device_to_enrolment_and_nowhere_else(client, sign_in, doctor):
    response = sign_in(doctor)
    assert response.url == reverse("home")

    for path in (
        reverse("home"),
        reverse("patients:patient_list"),
        reverse("clinical:doctor_day"),
        reverse("accounts:two_step"),
        reverse("admin:index"),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(ENROL + "?next="), (path, response.url)

    assert client.get(ENROL).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).url.startswith(reverse("login"))


def test_it_sends_an_administrator_without_a_device_to_enrolment_from_the_admin_too(
    client, sign_in, admin_user
):
    sign_in(admin_user)

    response = client.get(reverse("admin:auth_user_changelist"))

    assert response.url.startswith(ENROL)


def test_it_turns_on_two_step_sign_in_with_a_right_code_and_shows_ten_codes_once(
    client, sign_in, doctor
):
    sign_in(doctor)
    page = client.get(ENROL + "?next=/patients/")
    assert b"<svg" in page.content and b'role="img"' in page.content
    key = client.session[ENROL_KEY]

    response = client.post(ENROL + "?next=/patients/", {"code": code_for(key)})

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:recovery_codes"))
    device = TOTPDevice.objects.get(user=doctor)
    assert device.confirmed and device.key == key
    codes = client.get(response.url)
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", codes.content.decode())
    assert sorted(shown) == sorted(
        StaticToken.objects.filter(device__user=doctor).values_list("token", flat=True)
    )
    assert len(shown) == 10
    assert codes.context["next"] == "/patients/"
    # Shown once only.
    assert client.get(reverse("accounts:recovery_codes")).url == reverse("accounts:two_step")
    # Signed in with both factors now.
    assert client.get(reverse("patients:patient_list")).status_code == 200
    assert AuditEvent.objects.filter(
        actor=doctor, object_id=str(doctor.pk), changes__second_factor__after="Authenticator app"
    ).exists()


def test_it_refuses_a_wrong_enrolment_code_with_a_message(client, sign_in, doctor):
    sign_in(doctor)
    client.get(ENROL)
    key = client.session[ENROL_KEY]
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=doctor).exists()
    assert client.session[ENROL_KEY] == key  # the same secret: the app already has it
    assert client.get(reverse("home")).url.startswith(ENROL)


def test_it_refuses_digits_other_than_ascii_as_a_wrong_code(client, sign_in, doctor):
    sign_in(doctor)
    client.get(ENROL)

    response = client.post(ENROL, {"code": "²²²²²²"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=doctor).exists()


def test_it_asks_a_user_with_an_authenticator_for_the_code(client, sign_in, front_desk):
    device = authenticator(front_desk)

    response = sign_in(front_desk, next_url="/patients/")

    assert response.url == "/patients/"
    response = client.get("/patients/")
    assert response.url == f"{VERIFY}?next=%2Fpatients%2F"
    page = client.get(response.url)
    assert "6-digit code from your authenticator app" in page.content.decode()

    response = client.post(response.url, {"code": code_for(device.key)})

    assert response.url == "/patients/"
    assert client.get("/patients/").status_code == 200
    # The same code cannot sign in twice.
    client.post(reverse("logout"))
    sign_in(front_desk)
    assert client.post(VERIFY, {"code": code_for(device.key)}).status_code == 200
    assert client.get(reverse("home")).url.startswith(VERIFY)


def test_it_takes_a_recovery_code_once(client, sign_in, doctor):
    authenticator(doctor)
    recovery = StaticDevice.objects.create(user=doctor, name="Recovery codes")
    recovery.token_set.create(token="abcd2345")
    recovery.token_set.create(token="efgh6789")

    sign_in(doctor)
    response = client.post(VERIFY, {"code": "ABCD-2345"}, follow=True)

    assert response.redirect_chain[0][0] == reverse("home")
    assert "recovery code; 1 left" in response.content.decode()
    client.post(reverse("logout"))
    sign_in(doctor)
    response = client.post(VERIFY, {"code": "abcd2345"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("home")).url.startswith(VERIFY)


def test_it_lets_a_front_desk_user_without_a_device_in_with_the_password(
    client, sign_in, front_desk, billing_clerk
):
    for user in (front_desk, billing_clerk):
        client.post(reverse("logout"))
        response = sign_in(user)

        assert response.url == reverse("home")
        assert client.get(reverse("home")).status_code == 200


def test_it_locks_out_after_the_failure_limit_of_wrong_codes(client, sign_in, doctor, settings):
    device = authenticator(doctor)
    sign_in(doctor)
    wrong = f"{(int(code_for(device.key)) + 5) % 1_000_000:06d}"

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200
    response = client.post(VERIFY, {"code": wrong})

    assert response.status_code in (403, 429)
    assert "locked" in response.content.decode().lower()
    # The half-signed-in session is gone, and the password alone does not bring it back.
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    assert sign_in(doctor).status_code in (403, 429)


def test_it_hides_device_secrets_from_the_django_admin():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
