"""API tokens for the demo logins, so the FHIR API can be tried the minute `make run` serves.

Each run gives every demo login a new token and revokes the one the previous run gave it:
the secrets exist only in that run's output (the hospital keeps their hashes, as for any
token), so a token printed once and forgotten stops working at the next run, and a login
never holds more than one working demo token. They are made and revoked through
fhir.services, the account page's own path (hashed, expiring, audited)."""

from __future__ import annotations

from typing import Any

from fhir.models import ApiToken
from fhir.services import api_token_create, api_token_revoke

DEMO_TOKEN_NAME = "Demo token (make run)"
DEMO_TOKEN_DAYS = 30


def demo_tokens_refresh(*, users: list[Any]) -> list[tuple[Any, str]]:
    """A new demo token for each of `users`, their earlier demo tokens revoked: (user,
    secret) pairs, in the order given. Run inside the caller's transaction."""
    made = []
    for user in users:
        for token in ApiToken.objects.filter(
            user=user, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
        ):
            api_token_revoke(token=token, by=None)
        _, secret = api_token_create(
            user=user, name=DEMO_TOKEN_NAME, lifetime_days=DEMO_TOKEN_DAYS, by=None
        )
        made.append((user, secret))
    return made
