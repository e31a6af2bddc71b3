"""Role fixtures shared by every test: one user per role of DESIGN.md, and an outsider."""

import pytest

from core import roles
from tests.factories import DoctorFactory, UserFactory


@pytest.fixture
def front_desk(db):
    return UserFactory(username="frontdesk", role=roles.FRONT_DESK)


@pytest.fixture
def doctor(db):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    return user


@pytest.fixture
def other_doctor(db):
    user = UserFactory(username="otherdoctor", role=roles.DOCTOR)
    DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    return user


@pytest.fixture
def billing_clerk(db):
    return UserFactory(username="billing", role=roles.BILLING_CLERK)


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin", role=roles.ADMINISTRATOR)
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def outsider(db):
    """A logged-in user with no role at all."""
    return UserFactory(username="outsider")


ROLE_FIXTURES = ["front_desk", "doctor", "billing_clerk", "admin_user", "outsider"]


@pytest.fixture
def login(client):
    """Log a user in on the test client: `login(user)` returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
