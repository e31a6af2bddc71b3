"""`demo_accounts` (run by `make run`) prints a working FHIR API token for each demo login, and
a `curl` to paste; each run's tokens replace the previous run's, which stop working."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from core import roles
from demo.api_tokens import DEMO_TOKEN_NAME
from fhir.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN_LINE = re.compile(r"^  (?P<user>\w+) +(?P<secret>hms_[A-Za-z0-9_-]{43})  (?P<role>.+)$", re.M)
ROLES = {
    "frontdesk": roles.FRONT_DESK,
    "doctor": roles.DOCTOR,
    "billing": roles.BILLING_CLERK,
    "admin": roles.ADMINISTRATOR,
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_accounts", *args, stdout=out)
    return out.getvalue()


def tokens_in(printed: str) -> dict[str, str]:
    found = {m["user"]: m["secret"] for m in TOKEN_LINE.finditer(printed)}
    assert {m["user"]: m["role"] for m in TOKEN_LINE.finditer(printed)} == ROLES
    return found


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def status(client, secret: str, path: str) -> int:
    return client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code


def test_each_printed_token_reads_what_its_role_reads(client):
    tokens = tokens_in(run())

    # Patients: every role; diagnoses: doctors and administrators; invoices: not doctors;
    # the audit log: administrators only.
    expected = {
        "frontdesk": (200, 403, 200, 403),
        "doctor": (200, 200, 403, 403),
        "billing": (200, 403, 200, 403),
        "admin": (200, 200, 200, 200),
    }
    for user, secret in tokens.items():
        got = tuple(
            status(client, secret, f"/fhir/R4/{path}")
            for path in ("Patient?name=smith", "Condition", "Invoice", "AuditEvent")
        )
        assert got == expected[user], user


def test_it_prints_a_curl_to_paste_with_the_front_desks_token(client):
    printed = run("--base-url", "http://127.0.0.1:8080/")
    secret = tokens_in(printed)["frontdesk"]

    assert (
        f'curl -H "Authorization: Bearer {secret}" '
        '"http://127.0.0.1:8080/fhir/R4/Patient?name=smith"'
    ) in printed


def test_a_new_run_replaces_the_tokens_and_the_old_ones_stop_working(client):
    old = tokens_in(run())
    new = tokens_in(run())

    for user in ROLES:
        assert old[user] != new[user]
        assert status(client, old[user], "/fhir/R4/Patient") == 401
        assert status(client, new[user], "/fhir/R4/Patient") == 200
        live = ApiToken.objects.filter(
            user__username=user, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
        )
        assert live.count() == 1
        # Stored as any token is: the hash and a prefix, never the secret.
        assert new[user] not in {live.get().secret_hash, live.get().prefix}
