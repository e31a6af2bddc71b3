"""Deny by default: every page needs a login, and roles see only what DESIGN.md gives them."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.roles import ADMIN_APPS

pytestmark = pytest.mark.django_db

PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _argless_urls():
    for name, pattern in _named_patterns():
        if name in PUBLIC or name.startswith("admin:"):
            continue
        if pattern.pattern.regex.groups:
            continue
        yield name


@pytest.mark.parametrize("name", sorted(set(_argless_urls())))
def test_it_requires_a_login_for_every_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_keeps_the_admin_behind_its_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "login" in response.url


@pytest.mark.parametrize(
    "role, expected",
    [
        ("front_desk", 302),
        ("doctor", 302),
        ("billing_clerk", 302),
        ("outsider", 302),
        ("admin_user", 200),
    ],
)
def test_it_opens_django_admin_to_administrators_only(request, login, role, expected):
    response = login(request.getfixturevalue(role)).get(reverse("admin:index"))
    assert response.status_code == expected


@pytest.mark.parametrize(
    "role, expected",
    [
        ("front_desk", 200),
        ("doctor", 200),
        ("billing_clerk", 200),
        ("admin_user", 200),
        ("outsider", 403),
    ],
)
def test_it_gives_each_role_its_home_and_refuses_users_without_one(request, login, role, expected):
    assert login(request.getfixturevalue(role)).get("/").status_code == expected


class TestRoleGroups:
    """The groups made by the data migration hold the permissions of DESIGN.md's table."""

    @pytest.mark.parametrize(
        "role, allowed, refused",
        [
            (
                "front_desk",
                [
                    "patients.add_patient",
                    "patients.change_patient",
                    "appointments.add_appointment",
                    "doctors.change_workinghours",
                    "billing.view_invoice",
                    "billing.view_medicationcost",
                ],
                [
                    "patients.view_medicalhistory",
                    "appointments.view_attendance",
                    "billing.change_medicationcost",
                    "billing.add_invoice",
                    "core.view_auditevent",
                ],
            ),
            (
                "doctor",
                [
                    "patients.view_patient",
                    "patients.view_medicalhistory",
                    "patients.add_medicalhistory",
                    "appointments.view_attendance",
                    "billing.view_medicationcost",
                ],
                [
                    "patients.add_patient",
                    "billing.view_invoice",
                    "doctors.change_workinghours",
                    "core.view_auditevent",
                ],
            ),
            (
                "billing_clerk",
                [
                    "patients.view_patient",
                    "patients.view_billable_items",
                    "billing.change_medicationcost",
                    "billing.add_invoice",
                    "billing.add_payment",
                    "billing.change_billingsettings",
                ],
                [
                    "patients.view_medicalhistory",
                    "appointments.view_attendance",
                    "patients.change_patient",
                    "appointments.add_appointment",
                    "core.view_auditevent",
                ],
            ),
        ],
    )
    def test_it_grants_each_role_exactly_its_share(self, request, role, allowed, refused):
        user = request.getfixturevalue(role)
        for perm in allowed:
            assert user.has_perm(perm), perm
        for perm in refused:
            assert not user.has_perm(perm), perm

    def test_it_gives_administrators_every_permission_including_the_audit_log(self):
        from django.contrib.auth.models import Group, Permission

        group = Group.objects.get(name="Administrator")
        assert group.permissions.filter(codename="view_auditevent").exists()
        assert group.permissions.filter(codename="change_invoice").exists()
        assert (
            group.permissions.count()
            == Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).count() - 3
        )  # all but writing the audit log

    def test_it_never_lets_anyone_change_the_audit_log(self):
        from django.contrib.auth.models import Permission

        assert not Permission.objects.filter(
            codename__in=["add_auditevent", "change_auditevent", "delete_auditevent"],
            group__isnull=False,
        ).exists()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_role_groups_after_a_flush():
    """Live-server and transactional tests flush the database; the roles must survive it."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("flush", verbosity=0, interactive=False)
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Front desk",
        "Doctor",
        "Billing clerk",
        "Administrator",
    }
    assert (
        Group.objects.get(name="Doctor").permissions.filter(codename="view_medicalhistory").exists()
    )
