"""Audit rows for who may do what, and for who logged in.

Access changes: a user given or taken a role (group) or a permission, a role given or taken a
permission, a role deleted, and a login's superuser, staff or active flag changed. They are
caught on the models' signals, the one place the admin, a management command and the shell
all pass (a queryset `.update()` or raw SQL does not: nothing in the project writes these
that way). Each is one UPDATE (or CREATE, DELETE) row on the user or the group, with the
value before and after, by the signed-in user of the request, or the system (None) outside
one. The role table's own sync at `migrate` (`core.roles.sync_groups`) writes none: those
permissions come from the code.

Logins, logouts and failed logins come from django.contrib.auth's signals. A failed login
records the username tried (never the password: Django has already masked it, and only the
username is read), the account it names if there is one, and whether the login was locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from core import audit, roles
from core.actors import acting_user

User = get_user_model()
# The flags of a login that change what it may do.
FLAGS = ("is_superuser", "is_staff", "is_active")


def _actor() -> Any:
    """Who is making the change: the signed-in user of the current request, or None."""
    return acting_user(getattr(audit.current_request(), "user", None))


# --- Flags ------------------------------------------------------------------------------------


def _flags_before(sender, instance, raw: bool, update_fields, **kwargs) -> None:
    if raw:
        return
    if instance._state.adding:
        # A new login starts from the fields' defaults: only a superuser or staff login made
        # so (createsuperuser) is an access change.
        before = {name: User._meta.get_field(name).default for name in FLAGS}
    elif update_fields is not None and not set(update_fields) & set(FLAGS):
        before = None  # e.g. the last_login of every login: no query
    else:
        before = User.objects.filter(pk=instance.pk).values(*FLAGS).first()
    instance._hms_flags_before = before


def _audit_flags(sender, instance, created: bool, raw: bool, **kwargs) -> None:
    before = instance.__dict__.pop("_hms_flags_before", None)
    if raw or before is None:
        return
    changes = audit.diff(before, {name: getattr(instance, name) for name in FLAGS})
    if changes:
        action = audit.Action.CREATE if created else audit.Action.UPDATE
        audit.audit_record(actor=_actor(), action=action, obj=instance, changes=changes)


# --- Roles and permissions (many-to-many) ----------------------------------------------------


@dataclass(frozen=True)
class _Relation:
    """One many-to-many of access: whose (`owner`) set of what (`target`), and its label."""

    label: str
    owner: str  # field of the through table pointing at the owner (user or group)
    target: str  # field pointing at the group or permission
    names: tuple[str, ...]  # lookups from the through row to the target's readable name

    def snapshot(self, through: type[models.Model], owner_ids: Iterable[int]) -> dict:
        """{owner id: sorted names}. One query."""
        result: dict[int, list[str]] = {pk: [] for pk in owner_ids}
        rows = through.objects.filter(**{f"{self.owner}_id__in": list(result)}).values_list(
            f"{self.owner}_id", *self.names
        )
        for owner_id, *parts in rows:
            result[owner_id].append(".".join(parts))
        return {pk: sorted(names) for pk, names in result.items()}


_PERMISSION_NAME = ("permission__content_type__app_label", "permission__codename")
RELATIONS = {
    User.groups.through: _Relation("roles", "user", "group", ("group__name",)),
    User.user_permissions.through: _Relation("permissions", "user", "permission", _PERMISSION_NAME),
    Group.permissions.through: _Relation("permissions", "group", "permission", _PERMISSION_NAME),
}


def _owner_ids(sender, instance, reverse: bool, pk_set) -> list[int]:
    """The users or groups whose set changes: the instance, or those named from the other side
    (`group.user_set.add(...)`); for a clear from the other side, all that are linked now."""
    if not reverse:
        return [instance.pk]
    if pk_set is not None:
        return sorted(pk_set)
    relation = RELATIONS[sender]
    linked = sender.objects.filter(**{f"{relation.target}_id": instance.pk})
    return sorted(linked.values_list(f"{relation.owner}_id", flat=True))


def _audit_relation(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    relation = RELATIONS[sender]
    if sender is Group.permissions.through and roles.is_syncing():
        return
    pending = instance.__dict__.setdefault("_hms_access_before", {})
    if action in ("pre_add", "pre_remove", "pre_clear"):
        owners = _owner_ids(sender, instance, reverse, pk_set)
        pending[sender] = (owners, relation.snapshot(sender, owners))
        return
    if action not in ("post_add", "post_remove", "post_clear") or sender not in pending:
        return
    owners, before = pending.pop(sender)
    after = relation.snapshot(sender, owners)
    changed = [pk for pk in owners if before[pk] != after[pk]]
    if not changed:
        return
    owner_model = instance.__class__ if not reverse else kwargs["model"]
    objects = [instance] if not reverse else list(owner_model.objects.filter(pk__in=changed))
    audit.audit_record_many(
        actor=_actor(),
        entries=[
            audit.AuditEntry(
                action=audit.Action.UPDATE,
                obj=obj,
                changes={relation.label: {"before": before[obj.pk], "after": after[obj.pk]}},
            )
            for obj in objects
        ],
    )


def _audit_group_deleted(sender, instance: Group, **kwargs) -> None:
    """Deleting a role takes it from every member without a many-to-many signal."""
    members = sorted(instance.user_set.values_list("username", flat=True))
    audit.audit_record(
        actor=_actor(),
        action=audit.Action.DELETE,
        obj=instance,
        changes={"members": {"before": members, "after": []}},
    )


# --- Logins -----------------------------------------------------------------------------------


def _logged_in(sender, request, user, **kwargs) -> None:
    audit.audit_record(actor=user, action=audit.Action.LOGIN, obj=user, request=request)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # None: logging out without a session
        audit.audit_record(actor=user, action=audit.Action.LOGOUT, obj=user, request=request)


def _login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    username = str(credentials.get(User.USERNAME_FIELD) or "")[:150]
    changes: dict[str, Any] = {"username": username}
    if getattr(request, "axes_locked_out", False):
        changes["locked_out"] = True  # refused by the lockout, or this failure locked it
    account = User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    audit.audit_record(
        actor=None,
        action=audit.Action.LOGIN_FAILED,
        obj=account,
        changes=changes,
        request=request,
    )


def connect() -> None:
    """Connect the receivers (CoreConfig.ready)."""
    pre_save.connect(_flags_before, sender=User, dispatch_uid="hms_access_flags_before")
    post_save.connect(_audit_flags, sender=User, dispatch_uid="hms_access_flags")
    for through in RELATIONS:
        m2m_changed.connect(
            _audit_relation, sender=through, dispatch_uid=f"hms_access_{through._meta.label}"
        )
    pre_delete.connect(_audit_group_deleted, sender=Group, dispatch_uid="hms_access_group_del")
    user_logged_in.connect(_logged_in, dispatch_uid="hms_audit_login")
    user_logged_out.connect(_logged_out, dispatch_uid="hms_audit_logout")
    user_login_failed.connect(_login_failed, dispatch_uid="hms_audit_login_failed")
