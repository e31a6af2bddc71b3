"""What the URL table (tests/hms/url_table.py) is made of: the roles, the outcomes, `Row`, and
the checks and rows more than one part of the table uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reports.registry import REPORTS

ROLES = (
    "anonymous",
    "front_desk",
    "doctor",
    "other_doctor",
    "billing_clerk",
    "admin_user",
    "outsider",
)

# Expected outcomes besides plain status codes.
LOGIN = "302 to the login page"
# Logging out also ends at the login page, but writes the logout into the audit log.
LOGGED_OUT = "302 to the login page, logged out"
ADMIN_LOGIN = "302 to the admin's login page"
OK, FOUND, BAD, DENIED, MISSING, NOT_ALLOWED = 200, 302, 400, 403, 404, 405


def expect(default: int | str = DENIED, *, anonymous: int | str = LOGIN, **roles: int | str):
    """Every role's outcome: `default` unless named (anonymous visitors: to the login page)."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {"anonymous": anonymous} | {role: roles.get(role, default) for role in ROLES[1:]}


# Who may, in DESIGN.md's words; `doctor` owns the objects of the table, `other_doctor` not.
EVERY_ROLE = dict(front_desk=OK, doctor=OK, other_doctor=OK, billing_clerk=OK, admin_user=OK)
DESK = dict(front_desk=OK, admin_user=OK)
CLINICIANS = dict(doctor=OK, other_doctor=OK, admin_user=OK)
BILLING = dict(billing_clerk=OK, admin_user=OK)
INVOICE_VIEWERS = dict(front_desk=OK, billing_clerk=OK, admin_user=OK)
ADMIN = dict(admin_user=OK)


def allowed(roles: dict[str, int], status: int | str = OK) -> dict[str, int | str]:
    """The same roles, with another outcome (a POST that redirects, a form shown again)."""
    return {role: status for role in roles}


# A GET on a state change: refused by method, before any right is looked at.
POST_ONLY = expect(NOT_ALLOWED)


@dataclass(frozen=True)
class Row:
    name: str
    get: dict[str, int | str]
    args: tuple[str, ...] = ()  # objects (see OBJECTS) whose pk fills the URL's arguments
    literal: tuple[str, ...] = ()  # or literal arguments
    query: str = ""  # "{name}" stands for an object's pk
    post: dict[str, int | str] | None = None  # a state change: every role's POST outcome
    data: dict[str, str] = field(default_factory=dict)  # "{name}" as in `query`
    label: str = ""  # tells apart two rows of one URL
    check: Callable[[Any], None] | None = None  # more about a 200 answer

    @property
    def id(self) -> str:
        return f"{self.name}{'[' + self.label + ']' if self.label else ''}"


def _csv(response) -> None:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]


def _pdf(response) -> None:
    assert response["Content-Type"] == "application/pdf"


REPORT_ROLES = {
    "front_desk": {"appointments", "appointment-patterns"},
    "doctor": {"appointments", "doctor-workload", "waiting-times"},
    "other_doctor": {"appointments", "doctor-workload", "waiting-times"},
    "billing_clerk": {"patient-bills", "revenue"},
    "admin_user": set(REPORTS),
}


def _report_rows(name: str) -> list[Row]:
    who = expect(**{role: OK for role, names in REPORT_ROLES.items() if name in names})

    def named_csv(response) -> None:
        _csv(response)
        assert f'filename="{name}' in response["Content-Disposition"]

    return [
        Row("reports:report_detail", who, literal=(name,), label=name),
        Row("reports:report_csv", who, literal=(name,), label=name, check=named_csv),
    ]


BILLING_FORM = {
    "reason": "Entered twice",
    "amount": "1.00",
    "method": "cash",
    # A payment is dated between its invoice's issue day and today: the objects are made today.
    "received_on": "{today}",
    "description": "Copy of records",
    "kind": "other",
    "confirm_unpriced": "on",
}
