"""Passkeys in a real browser: a doctor's first sign-in enrols a passkey, and the next sign-in
uses it at the second step instead of a code. Chromium's virtual authenticator (DevTools
protocol, WebAuthn domain) stands in for the computer's own: a platform authenticator that
keeps passkeys and verifies its user. The live server is http://localhost:PORT, a secure
context whose host is the development settings' relying party."""

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Page, expect

from core import roles
from core.models import AuditEvent
from tests.factories import DoctorFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default


def add_virtual_authenticator(page: Page) -> str:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return answer["authenticatorId"]


def enter_password(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_it_enrols_a_passkey_at_the_first_sign_in_and_signs_in_with_it_next_time(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    add_virtual_authenticator(page)

    # First sign-in: the role requires a second factor, and the doctor has none yet.
    enter_password(page, "doctor")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/enrol/"))
    expect(page.get_by_role("heading", name="With a passkey")).to_be_visible()
    axe("enrolment at the first sign-in")
    page.get_by_role("button", name="Add a passkey").click()

    # The first passkey comes with recovery codes, shown once.
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    expect(page.get_by_role("alert")).to_contain_text("Passkey added")
    assert WebAuthnCredential.objects.filter(user=user, name="Passkey").count() == 1
    axe("recovery codes, shown once")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.locator("h1")).to_have_text("My day")

    page.get_by_role("navigation").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    # Next sign-in: the password, then the passkey instead of a code.
    enter_password(page, "doctor")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/verify/"))
    expect(page.get_by_text("Or enter one of your recovery codes.")).to_be_visible()
    axe("second step offering a passkey")
    page.get_by_role("button", name="Use a passkey").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("My day")
    used = AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.LOGIN)
    assert {"second_factor": "Passkey"} in [event.changes for event in used]
    assert console_errors == []


def test_it_adds_a_passkey_from_the_two_step_page(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    add_virtual_authenticator(page)
    enter_password(page, "frontdesk")  # an optional role without a device: straight in
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_text("Off: your password alone signs you in.")).to_be_visible()

    page.get_by_role("button", name="Add a passkey").click()

    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_text("On: you sign in with your password and a passkey.")).to_be_visible()
    expect(page.get_by_role("cell", name="Passkey 1", exact=True)).to_be_visible()
    axe("two-step page with a passkey")
    assert console_errors == []
