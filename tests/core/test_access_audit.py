"""Who may do what, and who logged in, are audit rows (core.access_audit): a role or a
permission given or taken (in the admin, a command or the shell alike), a login's superuser,
staff or active flag changed, and every login, logout and failed login."""

import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles
from core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def role(name: str) -> Group:
    return Group.objects.get(name=name)


# --- Roles and permissions -----------------------------------------------------------------


def test_it_records_a_role_given_in_the_admin_with_who_and_from_where(client, admin_user):
    nurse = UserFactory(username="nurse", role=roles.FRONT_DESK)
    client.force_login(admin_user)
    data = {
        "username": "nurse",
        "first_name": nurse.first_name,
        "last_name": nurse.last_name,
        "email": nurse.email,
        "is_active": "on",
        "groups": [role(roles.FRONT_DESK).pk, role(roles.ADMINISTRATOR).pk],
        "date_joined_0": "2024-01-02",
        "date_joined_1": "09:00:00",
    }

    response = client.post(
        reverse("admin:auth_user_change", args=[nurse.pk]), data, REMOTE_ADDR="10.0.0.7"
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    (event,) = events(object_type="auth.user", action="update")
    assert (event.actor_id, event.object_id, event.object_repr) == (
        admin_user.pk,
        str(nurse.pk),
        "nurse",
    )
    assert event.changes == {
        "roles": {"before": ["Front desk"], "after": ["Administrator", "Front desk"]}
    }
    assert (event.ip_address, event.path) == ("10.0.0.7", f"/admin/auth/user/{nurse.pk}/change/")


def test_it_records_a_role_taken_in_the_shell_as_the_systems(front_desk):
    front_desk.groups.remove(role(roles.FRONT_DESK))

    (event,) = events(action="update")
    assert (event.actor_id, event.actor_username) == (None, "")
    assert event.changes == {"roles": {"before": ["Front desk"], "after": []}}


def test_it_records_one_row_per_user_given_a_role_from_the_groups_side(db):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob", role=roles.DOCTOR)

    role(roles.DOCTOR).user_set.add(ada, bob)  # bob has it already: no change for him

    (event,) = events(action="update")
    assert event.object_repr == "ada"
    assert event.changes == {"roles": {"before": [], "after": ["Doctor"]}}


def test_it_records_a_cleared_role_set_and_every_member_of_a_cleared_role(db):
    ada = UserFactory(username="ada", role=roles.DOCTOR)
    bob = UserFactory(username="bob", role=roles.DOCTOR)

    ada.groups.clear()
    role(roles.DOCTOR).user_set.clear()

    rows = [(e.object_repr, e.changes["roles"]) for e in events(action="update")]
    assert rows == [
        ("ada", {"before": ["Doctor"], "after": []}),
        ("bob", {"before": ["Doctor"], "after": []}),
    ]
    assert not bob.groups.exists()


def test_it_writes_nothing_when_nothing_changes(front_desk):
    front_desk.groups.add(role(roles.FRONT_DESK))
    front_desk.groups.set([role(roles.FRONT_DESK)])
    front_desk.save()

    assert events() == []


def test_it_records_a_permission_given_to_a_user(front_desk):
    permission = Permission.objects.get(codename="view_medicalhistory")

    front_desk.user_permissions.add(permission)

    (event,) = events(action="update")
    assert event.changes == {
        "permissions": {"before": [], "after": ["patients.view_medicalhistory"]}
    }


def test_it_records_a_permission_given_to_a_role_in_the_admin(client, admin_user):
    desk = role(roles.FRONT_DESK)
    before = sorted(desk.permissions.values_list("pk", flat=True))
    added = Permission.objects.get(codename="view_medicalhistory")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_group_change", args=[desk.pk]),
        {"name": desk.name, "permissions": [*before, added.pk]},
    )

    assert response.status_code == 302
    (event,) = events(object_type="auth.group")
    assert (event.actor_id, event.action) == (admin_user.pk, "update")
    assert event.object_repr == "Front desk"
    change = event.changes["permissions"]
    assert sorted(set(change["after"]) - set(change["before"])) == ["patients.view_medicalhistory"]


def test_it_leaves_the_role_tables_own_sync_out_of_the_log(db):
    """The roles' permissions come from core.roles (in the code): applying them is no one's
    decision, and a migrate or test flush would otherwise fill the log."""
    desk = role(roles.FRONT_DESK)
    desk.permissions.clear()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    roles.sync_groups(apps, create_perms=False)  # as after every migrate

    assert desk.permissions.exists()
    assert not AuditEvent.objects.filter(id__gt=last).exists()


def test_it_records_who_lost_a_role_that_was_deleted(db):
    UserFactory(username="ada", role=roles.BILLING_CLERK)
    UserFactory(username="bob", role=roles.BILLING_CLERK)

    role(roles.BILLING_CLERK).delete()

    (event,) = events(action="delete")
    assert (event.object_type, event.object_repr) == ("auth.group", "Billing clerk")
    assert event.changes == {"members": {"before": ["ada", "bob"], "after": []}}


# --- Flags ---------------------------------------------------------------------------------


def test_it_records_a_login_made_superuser_and_staff(front_desk):
    front_desk.is_superuser = front_desk.is_staff = True
    front_desk.save()

    (event,) = events(action="update")
    assert event.changes == {
        "is_superuser": {"before": False, "after": True},
        "is_staff": {"before": False, "after": True},
    }


def test_it_records_a_login_switched_off(front_desk):
    front_desk.is_active = False
    front_desk.save(update_fields=["is_active"])

    (event,) = events(action="update")
    assert event.changes == {"is_active": {"before": True, "after": False}}


def test_it_records_a_superuser_created(db):
    User.objects.create_superuser("root", "root@hospital.test", PASSWORD)

    (event,) = events(action="create")
    assert (event.object_repr, set(event.changes)) == ("root", {"is_superuser", "is_staff"})


def test_it_costs_no_query_when_other_fields_are_saved(front_desk):
    with CaptureQueriesContext(connection) as queries:
        front_desk.save(update_fields=["last_login"])

    assert len(queries) == 1  # the UPDATE itself
    assert events() == []


# --- Logins --------------------------------------------------------------------------------


def login_form(client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_it_records_a_login_and_a_logout(client, front_desk):
    assert login_form(client, "frontdesk", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.9")

    login, logout = events(action__in=["login", "logout"])
    for event, action in ((login, "login"), (logout, "logout")):
        assert (event.action, event.actor_id, event.actor_username) == (
            action,
            front_desk.pk,
            "frontdesk",
        )
        assert (event.object_type, event.object_id) == ("auth.user", str(front_desk.pk))
        assert event.ip_address == "10.0.0.9"


def test_it_records_a_failed_login_with_the_username_and_never_the_password(client, front_desk):
    response = login_form(client, "frontdesk", "Tr0ub4dor&3", REMOTE_ADDR="10.0.0.5")

    assert response.status_code == 200
    (event,) = events()
    assert (event.action, event.actor_id) == ("login_failed", None)
    assert (event.object_type, event.object_id) == ("auth.user", str(front_desk.pk))
    assert event.changes == {"username": "frontdesk"}
    assert event.ip_address == "10.0.0.5"
    row = json.dumps(list(AuditEvent.objects.values_list()), default=str)
    assert "Tr0ub4dor" not in row


def test_it_records_a_failed_login_for_a_username_nobody_has(client, db):
    login_form(client, "mallory", "guess")

    (event,) = events()
    assert (event.action, event.object_type, event.object_id) == ("login_failed", "", "")
    assert event.changes == {"username": "mallory"}


def test_it_says_when_a_login_was_refused_by_the_lockout(client, front_desk, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        login_form(client, "frontdesk", "wrong")

    login_form(client, "frontdesk", PASSWORD)

    assert [e.changes.get("locked_out", False) for e in events()] == [False, True, True]
    assert not events(action="login")
