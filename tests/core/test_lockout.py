"""The login lockout (core.lockout): wrong passwords lock a username at one address only, so a
stranger cannot lock staff out, and many wrong passwords from one address under any usernames
lock that address, against password spraying."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
HERE, ELSEWHERE = "192.0.2.10", "192.0.2.77"


def log_in(username: str, password: str, address: str, **meta) -> bool:
    """Post the login form from `address` with a fresh browser; True if it signed in."""
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **meta
    )
    assert response.status_code in (200, 302, 429), response.status_code
    return "_auth_user_id" in client.session


@pytest.fixture
def nurse(db):
    return UserFactory(username="nurse")


def test_it_locks_a_username_at_the_address_of_the_wrong_passwords_only(nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not log_in("nurse", "wrong", HERE)

    assert not log_in("nurse", PASSWORD, HERE)
    assert log_in("nurse", PASSWORD, ELSEWHERE)


def test_it_lets_the_right_password_in_below_the_limit(nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("nurse", "wrong", HERE)

    assert log_in("nurse", PASSWORD, HERE)


def test_it_locks_an_address_trying_many_usernames(nurse, settings):
    assert settings.HMS_LOGIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    for i in range(settings.HMS_LOGIN_ADDRESS_FAILURE_LIMIT):
        assert not log_in(f"staff{i}", "Summer2024!", HERE)  # one guess per username

    assert not log_in("nurse", PASSWORD, HERE)
    assert log_in("nurse", PASSWORD, ELSEWHERE)


def test_it_leaves_an_address_open_below_its_limit(nurse, settings):
    for i in range(settings.HMS_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        log_in(f"staff{i}", "Summer2024!", HERE)

    assert log_in("nurse", PASSWORD, HERE)


def test_it_keeps_counting_an_addresss_failures_after_someone_logs_in_there(nurse, settings):
    """A login clears its own username's failures only: a sprayer with one working account
    cannot wipe the count of their guesses at other accounts."""
    for i in range(settings.HMS_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        log_in(f"staff{i}", "Summer2024!", HERE)
    assert log_in("nurse", PASSWORD, HERE)

    log_in("staff-last", "Summer2024!", HERE)

    assert not log_in("nurse", PASSWORD, HERE)


def test_it_clears_a_usernames_failures_when_it_logs_in(nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("nurse", "wrong", HERE)
    assert log_in("nurse", PASSWORD, HERE)

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("nurse", "wrong", HERE)

    assert log_in("nurse", PASSWORD, HERE)


def test_it_tells_workstations_behind_the_proxy_apart(nurse, settings):
    """Behind the hospital's proxy every request comes from the proxy; with its header
    configured, one workstation's wrong passwords lock only that workstation."""
    settings.HMS_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.2"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("nurse", "wrong", proxy, HTTP_X_FORWARDED_FOR=HERE)

    assert not log_in("nurse", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=HERE)
    # A client cannot pose as another workstation: only the right-most address counts.
    assert not log_in("nurse", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {HERE}")
    assert log_in("nurse", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
