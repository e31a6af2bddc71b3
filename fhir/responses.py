"""What the API sends: a resource built with `fhir.resources` (so it was validated against
the R4B model as it was made), serialised as JSON with the FHIR content type.

Serialising a validated model through fhir.resources walks every element in Python: about a
quarter of a millisecond per Patient, six of the eight milliseconds of a page of twenty. So a
resource made by `fhir.mappings.common.validated` keeps the plain JSON it was validated from,
and that is what is written (the same text: absent elements left out, decimals as numbers);
any other model (an OperationOutcome, say) is written by fhir.resources itself."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from fhir.errors import FhirError
from fhir.systems import CONTENT_TYPE

_SOURCE = "hms_source"  # the key of the validated JSON in the model's private attributes


def keep_source(resource: Resource, data: dict[str, Any]) -> Resource:
    """Remember that `resource` was validated from `data` (plain JSON values, dates, decimals),
    so that `fhir_json` writes `data` instead of walking the model again."""
    object.__setattr__(resource, "__pydantic_private__", {_SOURCE: data})
    return resource


def fhir_json(resource: Resource) -> Any:
    """`resource` as JSON values (dicts, lists, strings, numbers, booleans)."""
    private = getattr(resource, "__pydantic_private__", None) or {}
    if _SOURCE not in private:
        return json.loads(resource.model_dump_json())
    data = private[_SOURCE]
    text = json.dumps(data, default=_scalar, separators=(",", ":"))
    if any(mark in text for mark in _EMPTY):
        return _plain(data)  # an empty element somewhere inside: left out, one by one
    return json.loads(text)


# How an empty element looks in compact JSON (a string holding one of these only costs the
# slower, exact way).
_EMPTY = (":null", "[null", ",null", ':""', '[""', ',""', ":[]", ":{}")


def _scalar(value: Any) -> Any:
    """Dates and times in ISO form (UTC as Z), decimals as numbers: as fhir.resources writes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime) and value.utcoffset() == datetime.timedelta(0):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _plain(value: Any) -> Any:
    """JSON values of `value`, leaving out None and empty elements (FHIR has no nulls or empty
    strings)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _plain(item)
            if item is not None and item != "" and item != [] and item != {}:
                out[key] = item
        return out
    if isinstance(value, list | tuple):
        return [item for item in map(_plain, value) if item is not None and item != ""]
    if isinstance(value, Decimal | datetime.date | datetime.time):
        return _scalar(value)
    return value


def json_response(
    request: HttpRequest,
    data: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """JSON values as the answer; indented when the query asks for `_pretty=true`."""
    pretty = request.GET.get("_pretty") == "true"
    body = json.dumps(
        data,
        ensure_ascii=False,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE, headers=headers)


def resource_response(
    request: HttpRequest,
    resource: Resource,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """`resource` as the answer; indented when the query asks for `_pretty=true`."""
    return json_response(request, fhir_json(resource), status=status, headers=headers)


def outcome(diagnostics: str, *, code: str, severity: str = "error") -> OperationOutcome:
    return OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
        }
    )


def error_response(request: HttpRequest, error: FhirError) -> HttpResponse:
    return resource_response(
        request,
        outcome(error.diagnostics, code=error.code),
        status=error.status,
        headers=error.headers(),
    )
