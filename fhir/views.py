"""The FHIR API's endpoints: `/metadata`, read and search of each registered type, and an
OperationOutcome for everything else under /fhir/.

Plain Django views rather than Django REST framework: what a FHIR server answers (resources
built by fhir.resources, OperationOutcome errors, searchset Bundles paged by key) is none of
DRF's serializers, renderers, pagination or exception pages, and its throttles count in a
per-process cache; see docs/fhir.md.

Every request goes: authenticate (401) → throttle (429) → method (405) → the type's role
check (403) → the request's values (400) → the lookup (404). Every answer is JSON: errors are
OperationOutcome resources, and an unexpected error is logged and answered 500 as one too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accounts.middleware import second_factor_checked_by_view
from core.audit import audit_view
from fhir import writes
from fhir.auth import Caller, authenticate
from fhir.bundles import searchset
from fhir.capability import capability_statement
from fhir.errors import (
    BadRequest,
    FhirError,
    Forbidden,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
)
from fhir.kinds import ResourceType
from fhir.registry import TYPES
from fhir.responses import error_response, resource_response
from fhir.search import SearchRequest, page_rows, parse_search, record_id
from fhir.throttle import throttle

logger = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")
WRITE_INSTANCE = ("PUT", "PATCH")
# JSON by any of its names (application/json+fhir: FHIR's name before R4, still sent).
_JSON = {"json", "application/json", "application/fhir+json", "application/json+fhir", "text/json"}
_ACCEPTED = _JSON | {"*/*", "application/*"}


def endpoint(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An API view: FhirError (and Django's 404 and 403) become OperationOutcome answers, any
    other error is logged and answered 500 as one. Not behind the login page, the second
    factor's redirect or Django's CSRF page: the view says 401 or 403 itself."""

    @functools.wraps(handler)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return handler(request, *args, **kwargs)
        except FhirError as error:
            return error_response(request, error)
        except Http404:
            return error_response(request, NotFound("Not found."))
        except PermissionDenied as denied:
            return error_response(request, Forbidden(str(denied) or "Not allowed."))
        except Exception:
            logger.exception(
                "FHIR API: unexpected error answering %s %s", request.method, request.path
            )
            error = FhirError(
                "The server failed to answer this request; the error is logged for its "
                "administrators.",
                code="exception",
            )
            error.status = 500
            return error_response(request, error)

    view = csrf_exempt(view)
    view.malformed_input_response = _malformed
    return login_not_required(second_factor_checked_by_view(view))


def _malformed(request: HttpRequest, problem: str) -> HttpResponse:
    """core.middleware's refusal of input no view takes (a NUL character), as JSON."""
    return error_response(request, BadRequest(problem))


def _caller(request: HttpRequest, methods: tuple[str, ...] = READ_METHODS) -> Caller:
    caller = authenticate(request)
    throttle(caller.bucket)
    _allow(request, methods)
    return caller


def _methods(type_name: str, *, instance: bool) -> tuple[str, ...]:
    """What a type's URL answers: reads, and the writes the type takes (fhir.writes)."""
    kind = TYPES[type_name]
    if instance:
        return READ_METHODS + (WRITE_INSTANCE if kind.update else ())
    return READ_METHODS + (("POST",) if kind.create else ())


def _allow(request: HttpRequest, methods: tuple[str, ...] = READ_METHODS) -> None:
    """The URL's methods only (reads, unless the type takes writes), in JSON only (`_format`,
    `Accept`)."""
    if request.method not in methods:
        raise MethodNotAllowed(request.method, methods)
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.split(";")[0].strip().lower() not in _JSON:
        raise NotAcceptable("This server writes JSON only: ask for _format=json or leave it out.")
    accept = request.headers.get("Accept", "").strip()
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if accept and not kinds & _ACCEPTED:
        raise NotAcceptable("This server writes JSON only (application/fhir+json).")


def _kind(caller: Caller, type_name: str) -> ResourceType:
    kind = TYPES[type_name]
    if not kind.allows(caller.user):
        raise Forbidden(kind.refusal)
    return kind.for_user(caller.user)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("/metadata")


def _audit(
    request: HttpRequest,
    caller: Caller,
    kind: ResourceType,
    rows: Sequence[models.Model],
    *,
    shown: type[models.Model] | None,
    obj: models.Model | None = None,
    query: str = "",
) -> None:
    """Reads of patient data write the audit row the chart writes: who, which patients (one
    row per request, naming them all), and here which resource types and how."""
    if kind.patient_ids is None:
        return
    changes = {
        "api": "FHIR",
        "interaction": "read" if obj is not None else "search-type",
        "resource_types": [kind.name],
    }
    if query:
        changes["query"] = query[:500]
    audit_view(
        actor=caller.user,
        action=kind.audit_action,
        patient_ids=kind.patient_ids(rows),
        obj=obj,
        shown=shown,
        changes=changes,
        request=request,
    )


@endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement, open to anyone: it holds no data, and clients read it before
    they have credentials (as FHIR servers do)."""
    _allow(request)
    return resource_response(request, capability_statement(base_url=_base_url(request)))


@endpoint
def read(request: HttpRequest, type_name: str, resource_id: str) -> HttpResponse:
    caller = _caller(request, _methods(type_name, instance=True))
    if request.method in WRITE_INSTANCE:
        return writes.update(request, caller, TYPES[type_name], resource_id)
    kind = _kind(caller, type_name)
    pk = kind.read_id(resource_id) if kind.read_id else record_id(resource_id, type_name=kind.name)
    row = kind.get(pk)
    if row is None:
        raise NotFound(f"There is no {kind.name} with id {resource_id}.")
    resource = kind.to_resource(row)
    _audit(request, caller, kind, [row], shown=type(row), obj=row)
    return resource_response(request, resource)


@endpoint
def search(request: HttpRequest, type_name: str) -> HttpResponse:
    """One page of a search: the rows after the cursor's key, in the plan's order (one
    query, whichever the page; a computed search's `fetch` starts at the key too), and a
    `next` link holding the last row's key. A POST creates (fhir.writes)."""
    caller = _caller(request, _methods(type_name, instance=False))
    if request.method == "POST":
        return writes.create(request, caller, TYPES[type_name], base_url=_base_url(request))
    kind = _kind(caller, type_name)
    query = parse_search(kind, request.GET, lenient=_lenient(request))
    plan, rows = page_rows(query)
    more, rows = len(rows) > query.count, rows[: query.count]
    first_page = query.after is None
    notes = [text for note in plan.notes if (text := note(rows))] if first_page else []
    resources = [kind.to_resource(row) for row in rows]
    _audit(request, caller, kind, rows, shown=plan.model, query=_query_text(query))
    base = _base_url(request)
    type_url = f"{base}/{kind.name}"
    next_link = None
    if more:
        next_link = query.link(type_url, cursor=query.cursor_after(plan.key(rows[-1])))
    bundle = searchset(
        base_url=base,
        resources=resources,
        self_link=query.link(type_url, cursor=query.cursor),
        next_link=next_link,
        # Known without counting when the first page holds every match.
        total=len(rows) if first_page and not more else None,
        notes=notes,
    )
    return resource_response(request, bundle)


def _lenient(request: HttpRequest) -> bool:
    """`Prefer: handling=lenient`: unknown search parameters are left out, not refused."""
    return "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "").lower()


def _query_text(query: SearchRequest) -> str:
    return "&".join(f"{name}={value}" for name, value in query.applied())


@endpoint
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /fhir/: an unknown type, or an interaction not implemented."""
    _caller(request)
    path = rest.removeprefix("R4/")
    type_name = path.split("/")[0]
    served = ", ".join(TYPES)
    if not rest.startswith("R4/") or not path:
        raise NotFound(
            f"Nothing is served at /fhir/{rest[:80]}: the FHIR R4 API is at /fhir/R4/ "
            "(its CapabilityStatement at /fhir/R4/metadata).",
            code="not-supported",
        )
    if type_name not in TYPES:
        raise NotFound(
            f"Unknown resource type '{type_name[:64]}': this server serves {served}.",
            code="not-supported",
        )
    raise NotFound(
        f"/fhir/R4/{path[:80]} is not implemented: this server reads and searches {served} "
        "(see /fhir/R4/metadata).",
        code="not-supported",
    )
