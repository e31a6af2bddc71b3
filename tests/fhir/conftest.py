"""Calling the FHIR API in tests: with a token of a role's user (`api`) or a session, and
every answer parsed back with fhir.resources' R4B models (`parsed`), which must validate."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from fhir.services import api_token_create
from fhir.systems import CONTENT_TYPE


def token_for(user) -> str:
    """A new token of `user`'s (90 days): its secret."""
    return api_token_create(user=user, name="Tests", lifetime_days=90, by=user)[1]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def parsed(response, model: type[Resource] | None = None, *, status: int = 200) -> Any:
    """The answer's resource, validated by fhir.resources' R4B `model` (by default the model
    of the resourceType it says); the answer is FHIR JSON with `status`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == CONTENT_TYPE
    if model is None:
        model = get_fhir_model_class(json.loads(response.content)["resourceType"])
    return model.model_validate_json(response.content)


def outcome_of(response, status: int) -> str:
    """The diagnostics of an OperationOutcome answer with `status`."""
    result = parsed(response, OperationOutcome, status=status)
    assert result.issue[0].severity in ("error", "fatal")
    return result.issue[0].diagnostics


def entries(bundle: Bundle, model: type[Resource] | None = None) -> list[Any]:
    """The matches of a searchset Bundle (not its outcome entries), as `model`."""
    assert bundle.type == "searchset"
    found = [e.resource for e in bundle.entry or () if e.search.mode == "match"]
    if model is not None:
        assert all(isinstance(r, model) for r in found), found
    return found


def link(bundle: Bundle, relation: str) -> str | None:
    return next((item.url for item in bundle.link or () if item.relation == relation), None)


def url(name: str, *args: Any) -> str:
    return reverse(f"fhir:{name}", args=args)


@pytest.fixture
def api(client, admin_user) -> Callable[..., Any]:
    """`api(path, user=admin_user, **query)`: a GET with a token of `user`'s (one token per
    user, made on first use)."""
    secrets: dict[int, str] = {}

    def get(path: str, user=None, **query: Any):
        user = user or admin_user
        if user.pk not in secrets:
            secrets[user.pk] = token_for(user)
        return client.get(path, query, headers=bearer(secrets[user.pk]))

    return get
