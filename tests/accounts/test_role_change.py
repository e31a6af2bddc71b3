"""The gate of the second factor follows a role change within a session: a user who owed
nothing and is given a role that requires a second factor owes it from their next page on,
without the gate costing a query of its own on the pages of those who owe nothing."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:enrol")
GATE = "accounts.middleware.SecondFactorMiddleware"


def promote(user, role: str) -> None:
    """As an administrator does in the admin: the role's group added to the user's."""
    User.objects.get(pk=user.pk).groups.add(Group.objects.get(name=role))


@pytest.mark.parametrize(
    ("fixture", "role"),
    [("front_desk", roles.DOCTOR), ("billing_clerk", roles.ADMINISTRATOR)],
)
def test_it_sends_a_user_given_a_role_that_requires_a_second_factor_to_enrolment(
    request, client, sign_in, fixture, role
):
    user = request.getfixturevalue(fixture)
    sign_in(user)
    assert client.get(reverse("home")).status_code == 200  # owes nothing: remembered
    assert client.get(reverse("accounts:two_step")).status_code == 200

    promote(user, role)
    response = client.get(reverse("accounts:two_step"))

    assert response.status_code == 302
    assert response.url.startswith(f"{ENROL}?next=")
    assert client.get(reverse("home")).url.startswith(ENROL)


def test_it_sends_a_user_made_superuser_to_enrolment(client, sign_in, front_desk):
    sign_in(front_desk)
    assert client.get(reverse("home")).status_code == 200

    User.objects.filter(pk=front_desk.pk).update(is_superuser=True)

    assert client.get(reverse("home")).url.startswith(ENROL)


def test_it_keeps_letting_in_a_user_given_another_optional_role(client, sign_in, front_desk):
    sign_in(front_desk)
    assert client.get(reverse("home")).status_code == 200

    promote(front_desk, roles.BILLING_CLERK)

    assert client.get(reverse("accounts:two_step")).status_code == 200


def test_it_adds_no_query_to_the_pages_of_a_user_who_owes_nothing(
    client, sign_in, front_desk, settings
):
    """The role the gate reads is the navigation's own query, kept for the request."""
    sign_in(front_desk)
    page = reverse("patients:patient_list")
    client.get(page)  # the first page decides, once per session
    gated = _queries(client, page)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != GATE]
    ungated = Client()  # a client loads the middleware once: a new one, same session
    ungated.cookies = client.cookies

    without = _queries(ungated, page)
    assert len(gated) == len(without), "\n".join(gated)


def _queries(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in queries.captured_queries]
