"""The permission tables: the roles' groups hold DESIGN.md's share (core.roles), and every
permission the apps' access tables ask for exists, so no need is silently refused to all.

Which page each role gets is tests/hms/test_url_access.py."""

import pytest
from django.contrib.auth.models import Permission

from appointments import access as appointments_access
from billing import access as billing_access
from clinical import access as clinical_access
from core.roles import ADMIN_APPS
from doctors import access as doctors_access
from imports import access as imports_access
from patients import access as patients_access

pytestmark = pytest.mark.django_db

ACCESS_TABLES = [
    patients_access.TABLE,
    doctors_access.TABLE,
    appointments_access.TABLE,
    billing_access.TABLE,
    clinical_access.TABLE,
    imports_access.TABLE,
]


@pytest.mark.parametrize("table", ACCESS_TABLES, ids=lambda t: t.needs.__module__)
def test_it_asks_only_for_permissions_that_exist(table):
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for need, permissions in table.permissions.items():
        assert set(permissions) <= existing, (need, set(permissions) - existing)


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
