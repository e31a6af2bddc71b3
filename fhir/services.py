"""Writes of API tokens: making one (its secret shown once, only its hash stored), revoking
one (by its owner or an administrator), both audited; and noting when one was last used."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import Action, audit_record
from fhir.models import MAX_LIFETIME, ApiToken
from fhir.selectors import secret_hash

# Tokens read "hms_" and 43 characters of 256 random bits, so a leaked one is easy to spot
# in a log or a repository (and a secret scanner can be told the pattern).
SECRET_PREFIX = "hms_"
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 8
# last_used_at is written at most once a minute per token, not on every request.
USE_RESOLUTION = datetime.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: Any, name: str, lifetime_days: int, by: Any) -> tuple[ApiToken, str]:
    """A new token of `user`'s, valid `lifetime_days` (at most a year). Returns the token and
    its secret: the only time the secret exists outside the client that will send it."""
    if not 1 <= lifetime_days <= MAX_LIFETIME.days - 1:
        raise ValidationError({"lifetime_days": "A token lives from one day to a year."})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=" ".join(name.split()),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        expires_at=now + datetime.timedelta(days=lifetime_days),
    )
    token.created_at = now
    token.full_clean()
    token.save()
    audit_record(
        actor=by,
        action=Action.CREATE,
        obj=token,
        changes={
            "api_token": {"before": None, "after": f"{token} for {user.get_username()}"},
            "expires_at": {"before": None, "after": token.expires_at},
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    """Stop `token` from working, at once. Revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=token,
        changes={"revoked_at": {"before": None, "after": token.revoked_at}},
    )
    return token


def api_token_used(*, token: ApiToken) -> None:
    """Note that `token` was just used (the pages show it): one UPDATE at most a minute, not
    audited (the audit log has the reads it made)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < USE_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
