"""Passkeys as a second factor (django-otp-webauthn): enrolling with one, signing in with one
at the second step, the lockout and the audit rows, removing one, and where they are offered.
The requests come from http://localhost, the relying party of the development settings, and a
software authenticator answers (tests/accounts/soft_authenticator.py)."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.passkey_views import LOCKED
from core.models import AuditEvent
from hms.env import passkey_rp_id_from
from tests.accounts.conftest import authenticator
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORIGIN = "http://localhost"
VERIFY = reverse("accounts:verify")
REGISTER_BEGIN = reverse("otp_webauthn:credential-registration-begin")
REGISTER_COMPLETE = reverse("otp_webauthn:credential-registration-complete")
AUTH_BEGIN = reverse("otp_webauthn:credential-authentication-begin")
AUTH_COMPLETE = reverse("otp_webauthn:credential-authentication-complete")


@pytest.fixture
def client(client):
    """The test client as a browser at http://localhost, where passkeys work."""
    client.defaults["HTTP_HOST"] = "localhost"
    return client


def register(client, passkey: SoftAuthenticator, next_url: str = ""):
    options = client.post(REGISTER_BEGIN).json()
    url = REGISTER_COMPLETE + (f"?{urlencode({'next': next_url})}" if next_url else "")
    return client.post(url, passkey.create(options), content_type="application/json")


def use(client, passkey: SoftAuthenticator, next_url: str = "", tamper: bool = False):
    options = client.post(AUTH_BEGIN)
    if options.status_code != 200:
        return options
    answer = passkey.get(options.json(), rp_id="localhost", tamper=tamper)
    url = AUTH_COMPLETE + (f"?{urlencode({'next': next_url})}" if next_url else "")
    return client.post(url, answer, content_type="application/json")


def with_passkey(client, login, user) -> SoftAuthenticator:
    """`user` with a registered passkey (made while fully signed in), then signed out."""
    login(user)
    passkey = SoftAuthenticator(origin=ORIGIN)
    assert register(client, passkey).status_code == 200
    client.post(reverse("logout"))
    return passkey


def test_it_lets_a_doctor_enrol_with_a_passkey_then_shows_recovery_codes_once(
    client, sign_in, doctor
):
    sign_in(doctor)
    page = client.get(reverse("accounts:enrol") + "?next=/patients/").content.decode()
    assert 'id="passkey-register-button"' in page
    assert "otp_webauthn_register.js" in page
    passkey = SoftAuthenticator(origin=ORIGIN)

    response = register(client, passkey, next_url="/patients/")

    assert response.status_code == 200, response.content
    codes_url = f"{reverse('accounts:recovery_codes')}?{urlencode({'next': '/patients/'})}"
    assert response.json()["redirect_url"] == codes_url
    device = WebAuthnCredential.objects.get(user=doctor)
    assert device.name == "Passkey" and device.confirmed
    assert not TOTPDevice.objects.filter(user=doctor).exists()
    codes = client.get(codes_url)
    assert len(codes.context["codes"]) == 10
    assert codes.context["next"] == "/patients/"
    # Signed in with the new passkey: the pages open.
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(
        actor=doctor, object_id=str(doctor.pk), changes__second_factor__after="Passkey"
    ).exists()


def test_it_signs_in_with_a_passkey_at_the_second_step_and_audits_it(
    client, login, sign_in, doctor
):
    passkey = with_passkey(client, login, doctor)
    sign_in(doctor, next_url="/patients/")
    assert client.get("/patients/").url == f"{VERIFY}?next=%2Fpatients%2F"
    page = client.get(f"{VERIFY}?next=%2Fpatients%2F").content.decode()
    assert 'id="passkey-verification-button"' in page
    assert "authenticator app, or one of your recovery codes" in page  # the test's TOTP too

    response = use(client, passkey, next_url="/patients/")

    assert response.status_code == 200, response.content
    assert response.json()["redirect_url"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    used = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=doctor)
    assert [event.changes for event in used.order_by("pk")][-1] == {"second_factor": "Passkey"}
    assert WebAuthnCredential.objects.get(user=doctor).last_used_at is not None


def test_it_refuses_a_passkey_answer_signed_for_another_site(client, login, sign_in, doctor):
    passkey = with_passkey(client, login, doctor)
    sign_in(doctor)
    passkey.origin = "https://hms.example.org.phishing.example"

    response = use(client, passkey)

    assert response.status_code == 422
    assert client.get(reverse("home")).url.startswith(VERIFY)


def test_it_counts_a_failed_passkey_as_a_failed_login_and_locks_out(
    client, login, sign_in, doctor, settings
):
    passkey = with_passkey(client, login, doctor)
    sign_in(doctor)

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert use(client, passkey, tamper=True).status_code == 422
    response = use(client, passkey, tamper=True)

    assert response.status_code == 429
    assert response.json()["detail"] == LOCKED
    # The half-signed-in session is gone, and the password alone does not bring it back.
    assert SESSION_KEY not in client.session
    assert sign_in(doctor).status_code in (403, 429)
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, object_id=doctor.pk)
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 1  # and the refused password


def test_it_refuses_a_passkey_once_the_login_is_locked_elsewhere(
    client, login, sign_in, doctor, settings
):
    passkey = with_passkey(client, login, doctor)
    sign_in(doctor)  # half signed in: the password, not yet the passkey
    elsewhere = Client(HTTP_HOST="localhost")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        elsewhere.post(reverse("login"), {"username": doctor.username, "password": "wrong"})

    response = use(client, passkey)

    assert response.status_code == 429
    assert response.json()["detail"] == LOCKED
    assert SESSION_KEY not in client.session


def test_it_refuses_to_register_a_passkey_before_the_second_step(client, sign_in, doctor):
    authenticator(doctor)
    sign_in(doctor)

    response = client.post(REGISTER_BEGIN)

    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=doctor).exists()


def test_it_adds_a_passkey_from_the_own_page_keeping_the_recovery_codes(client, login, doctor):
    login(doctor)
    StaticDevice.objects.create(user=doctor, name="Recovery codes").token_set.create(
        token="keepme23"
    )
    page = client.get(reverse("accounts:two_step")).content.decode()
    assert 'id="passkey-register-button"' in page

    response = register(client, SoftAuthenticator(origin=ORIGIN), next_url="/accounts/two-step/")

    assert response.json()["redirect_url"] == reverse("accounts:two_step")
    assert StaticDevice.objects.get(user=doctor).token_set.get().token == "keepme23"
    page = client.get(reverse("accounts:two_step")).content.decode()
    assert "Passkey 1" in page and "a passkey or a code from your authenticator app" in page


def test_it_removes_a_passkey_but_not_a_doctors_only_second_factor(client, sign_in, doctor):
    sign_in(doctor)
    register(client, SoftAuthenticator(origin=ORIGIN))  # enrolment: signed in with it
    register(client, SoftAuthenticator(origin=ORIGIN))
    first, second = WebAuthnCredential.objects.filter(user=doctor).order_by("pk")

    client.post(reverse("accounts:passkey_remove", args=[second.pk]))
    refused = client.post(reverse("accounts:passkey_remove", args=[first.pk]), follow=True)

    assert list(WebAuthnCredential.objects.filter(user=doctor)) == [first]
    assert "your only second factor" in refused.content.decode()
    assert AuditEvent.objects.filter(
        actor=doctor, changes__second_factor__before="Passkey", changes__second_factor__after=None
    ).exists()


def test_it_removes_the_recovery_codes_with_the_last_passkey_of_an_optional_role(
    client, login, front_desk
):
    login(front_desk)
    register(client, SoftAuthenticator(origin=ORIGIN))  # with new recovery codes
    passkey = WebAuthnCredential.objects.get(user=front_desk)

    client.post(reverse("accounts:passkey_remove", args=[passkey.pk]))

    assert not StaticDevice.objects.filter(user=front_desk).exists()
    page = client.get(reverse("accounts:two_step")).content.decode()
    assert "Off: your password alone signs you in." in page
    assert client.post(REGISTER_BEGIN).status_code == 200  # a new one can be added at once
    event = AuditEvent.objects.filter(actor=front_desk).latest("pk")
    assert event.changes == {
        "second_factor": {"before": "Passkey", "after": None},
        "recovery_codes": {"before": "Recovery codes", "after": None},
    }


def test_it_removes_only_the_users_own_passkeys(client, login, front_desk, billing_clerk):
    login(billing_clerk)
    register(client, SoftAuthenticator(origin=ORIGIN))
    theirs = WebAuthnCredential.objects.get(user=billing_clerk)
    client.post(reverse("logout"))
    login(front_desk)

    response = client.post(reverse("accounts:passkey_remove", args=[theirs.pk]))

    assert response.status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_it_resets_passkeys_with_the_other_devices_for_an_administrator(client, login, admin_user):
    nurse = UserFactory(username="lostpasskey")
    login(nurse)
    register(client, SoftAuthenticator(origin=ORIGIN))
    client.post(reverse("logout"))
    login(admin_user)
    listing = client.get(reverse("accounts:staff_list"))
    assert next(p for p in listing.context["people"] if p.pk == nurse.pk).has_passkey

    client.post(reverse("accounts:staff_reset", args=[nurse.pk]))

    assert not WebAuthnCredential.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    event = AuditEvent.objects.get(actor=admin_user, object_id=str(nurse.pk))
    assert event.changes["second_factor"] == {"before": ["Passkey", "Recovery codes"], "after": []}


def test_it_offers_passkeys_only_where_the_browser_can_use_them(client, login, sign_in, doctor):
    with_passkey(client, login, doctor)
    client.defaults["HTTP_HOST"] = "127.0.0.1"  # an address: no relying party matches
    sign_in(doctor)

    page = client.get(VERIFY).content.decode()

    assert "passkey-verification-button" not in page
    assert "Your passkey works when you open this site at localhost over HTTPS" in page
    assert client.post(AUTH_BEGIN).status_code == 200  # the JSON step itself still answers


def test_it_never_signs_in_with_a_passkey_alone(client, login, doctor):
    passkey = with_passkey(client, login, doctor)

    response = use(client, passkey)

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("hosts", "rp_id"),
    [
        (["127.0.0.1", "localhost", "testserver"], "localhost"),
        (["10.0.0.5", ".Hospital.example", "hms.hospital.example"], "hospital.example"),
        (["*", "[::1]", "192.168.1.2"], "localhost"),
        ([], "localhost"),
    ],
)
def test_it_takes_the_relying_party_from_the_first_host_name(hosts, rp_id):
    assert passkey_rp_id_from(hosts) == rp_id


def test_it_keeps_the_relying_party_config_in_the_page_as_json(client, sign_in, doctor):
    sign_in(doctor)

    page = client.get(reverse("accounts:enrol") + "?next=/patients/").content.decode()

    config = re.search(r'id="otp_webauthn_config" type="application/json">(.*?)</script>', page)
    config = json.loads(config[1])
    assert config["completeRegistrationUrl"] == f"{REGISTER_COMPLETE}?next=%2Fpatients%2F"
    assert config["csrfToken"]


def test_it_keeps_passkeys_out_of_the_django_admin():
    """Removing one there would write no audit row: the pages above do it instead."""
    assert not admin.site.is_registered(WebAuthnCredential)
