"""The one way the apps' access tables are read.

Each app with pages keeps who-may-do-what in its `access.py`: a `Need` enum (one member per
thing a user may ask to do, its value saying it in words) and an `AccessTable` listing the
permissions each need takes; `core.roles` grants those permissions to the roles. Views call the
app's `require(request, need)` or its `get_<thing>_for_user(request, ...)` on their first line;
both check the need before looking anything up, so a refused user cannot probe which records
exist.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

N = TypeVar("N", bound=enum.Enum)


class AccessTable(Generic[N]):
    """What each need of one app takes: every permission listed, and a logged-in user."""

    def __init__(self, needs: type[N], permissions: Mapping[N, tuple[str, ...]]) -> None:
        missing = [need.name for need in needs if need not in permissions]
        if missing:
            raise ImproperlyConfigured(f"{needs.__qualname__} lacks permissions for {missing}.")
        self.needs = needs
        self.permissions: dict[N, tuple[str, ...]] = dict(permissions)

    def allows(self, user: Any, need: N) -> bool:
        return bool(user.is_authenticated) and user.has_perms(self.permissions[need])

    def require(self, request: HttpRequest, need: N) -> None:
        if not self.allows(request.user, need):
            raise PermissionDenied(f"You may not {need.value}.")
