"""The second step of signing in, as a person does it in the browser: the code from their
authenticator app, or, on a first sign-in of a role that requires one, enrolment (read the
key off the page, type the app's code, note the recovery codes)."""

import base64
import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from demo.management.commands.demo_accounts import DEMO_TOTP_KEY


def code_for(key_hex: str) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def give_authenticator(user) -> TOTPDevice:
    """The demo accounts' authenticator (their published key), as `demo_accounts` gives it."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", key=DEMO_TOTP_KEY)


def complete_sign_in(page: Page, username: str) -> None:
    """After the password: enter the code if the page asks for one, enrol if it asks that."""
    if "/accounts/two-step/verify/" in page.url:
        key = TOTPDevice.objects.get(user__username=username, confirmed=True).key
        expect(page.locator("h1")).to_have_text("Two-step sign-in")
        page.get_by_label(re.compile(r"^\s*Code\W*$")).fill(code_for(key))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
    elif "/accounts/two-step/enrol/" in page.url:
        expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
        secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
        key_hex = base64.b32decode(secret).hex()
        page.get_by_label(re.compile(r"^\s*Code\W*$")).fill(code_for(key_hex))
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
        page.get_by_role("link", name=re.compile("continue")).click()
        page.wait_for_load_state()
