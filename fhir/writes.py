"""Writes through the API, for the types whose `ResourceType` has a `create` or `update`
(fhir.kinds.Write): `POST /<Type>` creates, `PUT /<Type>/<id>` updates with the whole resource,
`PATCH /<Type>/<id>` applies a JSON Patch (RFC 6902, `application/json-patch+json`) to the
resource as the server has it and handles the result as a PUT.

After fhir.views' authentication (a session's write must carry its CSRF token), throttle and
method: the write's role check (403), the body (415 not JSON, 400 not parseable or not a valid
R4B resource of the type), the lookup (404), then the type's `apply`, which goes through the
app's service; the service writes its audit rows, and its refusals come back as 409 or 422.
The answer is the resource as stored (201 with `Location` for a create)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource

from fhir.auth import Caller
from fhir.errors import BadRequest, Forbidden, NotFound, UnsupportedMediaType
from fhir.jsonpatch import apply_patch
from fhir.kinds import ResourceType, Write
from fhir.responses import resource_response
from fhir.search import record_id

FHIR_JSON = ("application/fhir+json", "application/json", "application/json+fhir")
JSON_PATCH = "application/json-patch+json"
MAX_PROBLEMS = 10


def create(request: HttpRequest, caller: Caller, kind: ResourceType, *, base_url: str):
    write = _permitted(caller, kind.create)
    resource = _resource(kind, _body(request, FHIR_JSON))
    row = write.apply(caller.user, resource)
    stored = kind.get(row.pk)
    location = f"{base_url}/{kind.name}/{row.pk}"
    return resource_response(
        request, kind.to_resource(stored), status=201, headers={"Location": location}
    )


def update(request: HttpRequest, caller: Caller, kind: ResourceType, resource_id: str):
    """PUT: the body is the resource, with the URL's id. PATCH: the body is a JSON Patch of
    the resource as `read` answers it now."""
    write = _permitted(caller, kind.update)
    patching = request.method == "PATCH"
    body = _body(request, (JSON_PATCH,) if patching else FHIR_JSON)
    pk = record_id(resource_id, type_name=kind.name)
    if not patching:
        resource = _resource(kind, body)
    row = kind.get(pk)
    if row is None:
        raise NotFound(f"There is no {kind.name} with id {resource_id}.")
    current = kind.to_resource(row)
    if patching:
        as_read = current.model_dump(mode="json", exclude_none=True)
        resource = _resource(kind, apply_patch(as_read, body))
    if resource.id != resource_id:
        raise BadRequest(
            f"The resource's id ({(resource.id or 'none')[:20]}) must be the id in the URL "
            f"({resource_id})."
        )
    row = write.apply(caller.user, row, current, resource)
    return resource_response(request, kind.to_resource(kind.get(row.pk)))


def _permitted(caller: Caller, write: Write | None) -> Write:
    assert write is not None, "fhir.views routes only the writes a type has"
    if not write.allows(caller.user):
        raise Forbidden(write.refusal)
    return write


def _body(request: HttpRequest, types: tuple[str, ...]) -> Any:
    if request.content_type not in types:
        raise UnsupportedMediaType(
            f"Send the body as {types[0]} (Content-Type), not "
            f"{(request.content_type or 'nothing')[:60]}."
        )
    try:
        data = json.loads(request.body)
    except RequestDataTooBig:
        raise BadRequest("The body is too large.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(f"The body is not JSON: {str(error)[:120]}.") from None
    if _holds_nul(data):
        # PostgreSQL stores no NUL character in text: refused here, as in a form.
        raise BadRequest("The body holds a NUL character (\\u0000): remove it.")
    return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _resource(kind: ResourceType, data: Any) -> Resource:
    """`data` as the type's R4B model: 400 naming what is wrong (at most MAX_PROBLEMS)."""
    if not isinstance(data, dict) or data.get("resourceType") != kind.name:
        raise BadRequest(f"The body must be a FHIR {kind.name} resource (resourceType).")
    try:
        return get_fhir_model_class(kind.name).model_validate(data)
    except pydantic.ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']) or kind.name}: "
            f"{problem['msg'].splitlines()[0][:160]}"
            for problem in error.errors()[:MAX_PROBLEMS]
        ]
        raise BadRequest(
            f"The {kind.name} is not valid FHIR R4: {'; '.join(problems)}.", code="structure"
        ) from None
