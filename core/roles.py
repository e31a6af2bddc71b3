"""The four roles of DESIGN.md as Django groups, and who holds which.

`ROLE_PERMISSIONS` is the one place that says what each role may do; the data migrations call
`sync_groups` so that a fresh database and an upgraded one end with the same groups.
Object-level rules (a doctor changes only their own appointments, billing sees billable items
only) are enforced by each app's access helper on top of these permissions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import AnonymousUser, User

FRONT_DESK = "Front desk"
DOCTOR = "Doctor"
BILLING_CLERK = "Billing clerk"
ADMINISTRATOR = "Administrator"
ROLES = (FRONT_DESK, DOCTOR, BILLING_CLERK, ADMINISTRATOR)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    FRONT_DESK: [
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_patient",
        "doctors.view_doctor",
        "doctors.view_specialty",
        "doctors.add_workinghours",
        "doctors.change_workinghours",
        "doctors.delete_workinghours",
        "doctors.view_workinghours",
        "doctors.add_timeoff",
        "doctors.change_timeoff",
        "doctors.delete_timeoff",
        "doctors.view_timeoff",
        "appointments.add_appointment",
        "appointments.change_appointment",
        "appointments.view_appointment",
        "appointments.view_appointmentstatuschange",
        # Check-in creates the attendance; reading its clinical content is not given.
        "appointments.add_attendance",
        # Messages to patients about their appointments: what went out, and sending again.
        "appointments.view_appointmentmessage",
        "appointments.add_appointmentmessage",
        "billing.view_medicationcost",
        "billing.view_procedurefee",
        "billing.view_billingsettings",
        "billing.view_invoice",
        "billing.view_invoiceline",
        "billing.view_payment",
    ],
    DOCTOR: [
        "patients.view_patient",
        "patients.add_medicalhistory",
        "patients.change_medicalhistory",
        "patients.view_medicalhistory",
        "doctors.view_doctor",
        "doctors.view_specialty",
        "doctors.view_workinghours",
        "doctors.view_timeoff",
        "appointments.view_appointment",
        "appointments.change_appointment",
        "appointments.view_appointmentstatuschange",
        "appointments.add_attendance",
        "appointments.change_attendance",
        "appointments.view_attendance",
        "billing.view_medicationcost",
        "billing.view_procedurefee",
    ],
    BILLING_CLERK: [
        "patients.view_patient",
        "patients.view_billable_items",
        "doctors.view_doctor",
        "doctors.view_specialty",
        "appointments.view_appointment",
        "billing.add_medicationcost",
        "billing.change_medicationcost",
        "billing.view_medicationcost",
        "billing.add_procedurefee",
        "billing.change_procedurefee",
        "billing.view_procedurefee",
        "billing.change_billingsettings",
        "billing.view_billingsettings",
        "billing.add_invoice",
        "billing.change_invoice",
        "billing.view_invoice",
        "billing.add_invoiceline",
        "billing.change_invoiceline",
        "billing.delete_invoiceline",
        "billing.view_invoiceline",
        "billing.add_payment",
        "billing.view_payment",
        "billing.add_creditnote",
        "billing.view_creditnote",
        "billing.add_refund",
        "billing.view_refund",
        "billing.add_accountentry",
        "billing.view_accountentry",
        "billing.add_cashierdayclose",
        "billing.view_cashierdayclose",
    ],
    # Administrators get every permission of the project's apps (see sync_groups).
    ADMINISTRATOR: [],
}
# The audit log is written by the system only; nobody, administrators included, edits it.
AUDIT_WRITES = ("add_auditevent", "change_auditevent", "delete_auditevent")
ADMIN_APPS = (
    "core",
    "patients",
    "doctors",
    "appointments",
    "billing",
    "clinical",
    "imports",
    "reports",
    # API tokens: administrators see and revoke everyone's.
    "fhir",
    "auth",
    "axes",
    # The job queue (view, and retry a failed or stalled job).
    "jobs",
    "procrastinate",
)


# True while `sync_groups` applies ROLE_PERMISSIONS: the roles' permissions then come from
# this file (in version control), not from a person, so they are not audit rows.
_syncing: ContextVar[bool] = ContextVar("hms_roles_syncing", default=False)


def is_syncing() -> bool:
    return _syncing.get()


@contextmanager
def _sync() -> Iterator[None]:
    token = _syncing.set(True)
    try:
        yield
    finally:
        _syncing.reset(token)


def sync_groups(apps, *, create_perms: bool = True) -> None:
    """Create or update the four groups with exactly their permissions.

    Takes the migration's `apps` so it works inside data migrations, where the permissions
    of models made earlier in the same run do not exist yet (`create_perms`).
    """
    from django.contrib.auth.management import create_permissions

    if create_perms:
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None

    with _sync():
        _set_role_permissions(apps)


def _set_role_permissions(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATOR:
            perms = list(
                Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).exclude(
                    codename__in=AUDIT_WRITES
                )
            )
        else:
            perms = []
            for code in codes:
                app_label, codename = code.split(".")
                perms.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
        group.permissions.set(perms)


def role_of(user: User | AnonymousUser) -> str | None:
    """The user's role: Administrator for superusers, otherwise their first role group."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMINISTRATOR
    cached = getattr(user, "_hms_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in (ADMINISTRATOR, DOCTOR, BILLING_CLERK, FRONT_DESK) if r in names), None)
    user._hms_role = role
    return role
