"""The login lockout (django-axes' AXES_HANDLER): two limits, so that a stranger cannot lock
staff out and cannot try one password on every account either.

- Per username and address: HMS_LOGIN_FAILURE_LIMIT (5) wrong passwords for one username from
  one address lock that username at that address only. The same person, from any other
  computer, still logs in: a stranger who knows a doctor's username cannot lock the doctor out.
- Per address, across usernames: HMS_LOGIN_ADDRESS_FAILURE_LIMIT (20) wrong passwords from one
  address, whatever the usernames, lock every login from that address (password spraying:
  one or two guesses at each of many accounts never reach the first limit). It is higher,
  because colleagues at one workstation mistype too.

Both count failures within the cool-off (AXES_COOLOFF_TIME). django-axes compares one count
with one limit (the highest count of AXES_LOCKOUT_PARAMETERS), so this handler reports the
per-username count, raised to the lock when the address has reached its own limit.
A successful login clears that username's failures at that address only, not the address's
failures under other usernames, or a sprayer with one working account could wipe the slate.
The address is core.audit.client_ip's (the trusted proxy header, else the connection).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum

PER_LOGIN = ("username", "ip_address")
PER_ADDRESS = ("ip_address",)


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


# The lockout's username column (axes' AccessAttempt.username) holds 255 characters. Django's
# login form does not cut a longer username (its max_length comes after its validators are
# made), so a pasted page of text would fail the login page; no account's name is longer
# than 150, so counting the failure under the first 255 characters loses nothing.
USERNAME_COLUMN = 255


class LoginLockoutHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        username = (credentials or {}).get("username")
        if isinstance(username, str) and len(username) > USERNAME_COLUMN:
            credentials = {**credentials, "username": username[:USERNAME_COLUMN]}
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counts = {}
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            key = (parameter,) if isinstance(parameter, str) else tuple(parameter)
            counts[key] = _failures(attempts)
        per_login = counts.get(PER_LOGIN, 0)
        if counts.get(PER_ADDRESS, 0) >= settings.HMS_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(per_login, get_failure_limit(request, credentials))
        return per_login

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
