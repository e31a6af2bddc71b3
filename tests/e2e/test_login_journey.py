"""Logging in and out in a real browser, for each of the four roles."""

import re

import pytest
from playwright.sync_api import Page, expect

from core import roles
from tests.e2e.second_factor import complete_sign_in, give_authenticator
from tests.factories import DoctorFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default
LOGIN_PATH = "/accounts/login/"


def make_user(role: str, username: str):
    user = UserFactory(username=username, role=role)
    if role == roles.ADMINISTRATOR:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    if role == roles.DOCTOR:
        DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    if role in (roles.DOCTOR, roles.ADMINISTRATOR):
        # Their roles sign in with a second factor; the code step is part of the journey.
        give_authenticator(user)
    return user


def log_in(page: Page, username: str, password: str) -> None:
    page.goto(LOGIN_PATH)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


def at_path(live_server, path: str) -> re.Pattern[str]:
    return re.compile(re.escape(live_server.url + path) + r"(\?.*)?$")


@pytest.mark.parametrize(
    ("role", "username", "heading"),
    [
        (roles.FRONT_DESK, "frontdesk", "Front desk"),
        (roles.DOCTOR, "doctor", "My day"),
        (roles.BILLING_CLERK, "billing", "Billing"),
        (roles.ADMINISTRATOR, "admin", "Hospital overview"),
    ],
)
def test_it_lands_each_role_on_its_home_page(
    page, console_errors, live_server, transactional_db, role_groups, role, username, heading, axe
):
    make_user(role, username)

    log_in(page, username, PASSWORD)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.get_by_role("navigation").get_by_role("button", name="Log out")).to_be_visible()
    axe(f"{heading} home page")
    assert console_errors == []


def test_it_keeps_a_wrong_password_on_the_login_page_with_an_error(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    make_user(roles.FRONT_DESK, "frontdesk")

    log_in(page, "frontdesk", "not-the-password")

    expect(page).to_have_url(at_path(live_server, LOGIN_PATH))
    expect(page.get_by_role("alert")).to_contain_text("password")
    expect(page.locator("input[name=password]")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    axe("login page with a wrong password")
    assert console_errors == []


def test_it_returns_to_the_login_page_on_log_out(
    page, console_errors, live_server, transactional_db, role_groups
):
    make_user(roles.BILLING_CLERK, "billing")
    log_in(page, "billing", PASSWORD)
    expect(page.locator("h1")).to_have_text("Billing")

    page.get_by_role("navigation").get_by_role("button", name="Log out").click()

    expect(page).to_have_url(at_path(live_server, LOGIN_PATH))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # The session is gone: the home page sends us back to the login form.
    page.goto("/")
    expect(page).to_have_url(at_path(live_server, LOGIN_PATH))
    assert console_errors == []


def test_it_sends_an_anonymous_visitor_to_the_login_page(
    page, console_errors, live_server, transactional_db
):
    page.goto("/")

    expect(page).to_have_url(live_server.url + LOGIN_PATH + "?next=/")
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert console_errors == []
