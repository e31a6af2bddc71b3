"""Reads of API tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet

from fhir.models import ApiToken


def secret_hash(secret: str) -> str:
    """What is stored of a token's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_for_secret(*, secret: str) -> ApiToken | None:
    """The token whose secret this is (revoked and expired ones too: the caller says why it
    is refused), with its user. One query, on the hash's unique index."""
    return ApiToken.objects.select_related("user").filter(secret_hash=secret_hash(secret)).first()


def api_tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    """A user's tokens, newest first. One query."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
