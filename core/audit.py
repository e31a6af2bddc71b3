"""Writing the audit log: one `AuditEvent` row per thing a person did.

Services call `audit_record` with the actor and the object (`audit_record_many` to write
several events with one INSERT; `audit_record_stream` for very many, such as an import's, with
one COPY; a service made of other services wraps them in `batch()` so all their rows still go
in one INSERT); the client address and path come from the `request` argument
or, when a service is called from a view or the admin, from the request bound with
`request_context` (or by `AuditRequestMiddleware` for every request).

The database chains every row to the one before it by hash (core/audit_chain.py);
`chain_head()` gives the chain's newest (position, hash), e.g. for a backup's manifest.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from psycopg.types.json import Jsonb

from core import bulk
from core.actors import acting_user
from core.audit_chain import ChainHead as ChainHead
from core.audit_chain import chain_head as chain_head
from core.models import AuditEvent

Action = AuditEvent.Action

_current_request: ContextVar[HttpRequest | None] = ContextVar("hms_audit_request", default=None)
# The rows held by an open `batch()`, or None outside one.
_pending: ContextVar[list[AuditEvent] | None] = ContextVar("hms_audit_pending", default=None)


@contextmanager
def request_context(request: HttpRequest | None) -> Iterator[None]:
    """Make `request` the one audit rows written inside the block take their address from."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    """The request bound by `request_context` (every request, by the middleware), if any."""
    return _current_request.get()


class AuditRequestMiddleware:
    """Bind each request for `audit_record`, so services need not pass it along."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_context(request):
            return self.get_response(request)


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a field value: dates, times and decimals become strings."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta | Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of `fields` on `obj` (foreign keys as their id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = jsonable(getattr(obj, field.attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"before": old, "after": new}}` for the fields whose value changed."""
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def created(obj: models.Model, fields: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The `changes` of a creation: every non-empty field, from nothing to its value."""
    return {
        name: {"before": None, "after": value}
        for name, value in snapshot(obj, fields).items()
        if value not in (None, "")
    }


def _address(text: str) -> str | None:
    """An IP address as written in REMOTE_ADDR or a proxy's header, without a port
    ("10.0.0.7:51234", "[2001:db8::1]:443"); None if it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the audit log and the login lockout (AXES_CLIENT_IP_CALLABLE).

    The connection's address (REMOTE_ADDR) unless settings.HMS_TRUSTED_PROXY_HEADER names the
    header the hospital's proxy sets; then the right-most address in that header, the one the
    proxy added itself. Whatever a client sends in X-Forwarded-For (or any header) stands left
    of it and is never read. A request without the header did not pass the proxy: its
    connection's address is the client's."""
    header = settings.HMS_TRUSTED_PROXY_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        address = _address(forwarded.split(",")[-1]) if forwarded.strip() else None
        if address is not None:
            return address
    return _address(request.META.get("REMOTE_ADDR", ""))


@dataclass(frozen=True)
class AuditEntry:
    """One event for `audit_record_many`: what was done to which object, and what changed."""

    action: str
    obj: models.Model | None = None
    patient: models.Model | None = None
    changes: Mapping[str, Any] | None = None
    # How the object is named in the log, when `str(obj)` would read related rows (a bulk
    # writer passes an unsaved instance holding only its id and the fields it knows).
    object_repr: str | None = None


def _event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None,
    patient: models.Model | None,
    changes: Mapping[str, Any] | None,
    request: HttpRequest | None,
    object_repr: str | None = None,
) -> AuditEvent:
    """A validated, unsaved audit row; `actor` must already be a signed-in user or None."""
    patient_id = _patient_id(obj, patient)
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(
            object_repr if object_repr is not None else str(obj) if obj is not None else ""
        )[:255],
        patient_id=patient_id,
        changes=jsonable(dict(changes or {})),
        ip_address=client_ip(request) if request is not None else None,
        path=request.path[:255] if request is not None else "",
    )
    # The two user/patient ids carry no foreign key on purpose; skip their existence queries.
    # The chain's fields are the database's to fill (and its constraint to check).
    event.full_clean(exclude=["actor", "patient", "chain_seq", "prev_hash", "row_hash"])
    return event


def _patient_id(obj: models.Model | None, patient: models.Model | None) -> int | None:
    """The patient an event is about: `patient`, else `obj` itself or the patient it has."""
    if patient is not None:
        return patient.pk
    if obj is None:
        return None
    if obj._meta.label_lower == "patients.patient":
        return obj.pk
    return getattr(obj, "patient_id", None)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    patient: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Insert one audit row. Costs one INSERT; runs inside the caller's transaction, so a
    rolled-back change leaves no audit row claiming it happened."""
    event = _event(
        actor=acting_user(actor),
        action=action,
        obj=obj,
        patient=patient,
        changes=changes,
        request=request if request is not None else _current_request.get(),
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
    else:
        event.save()
    return event


def audit_record_many(
    *,
    actor: Any,
    entries: Iterable[AuditEntry],
    request: HttpRequest | None = None,
) -> list[AuditEvent]:
    """Insert one audit row per entry, each the row `audit_record` would write for it, all by
    `actor` and from the same request. Costs one INSERT however many entries (none when there
    are none); runs inside the caller's transaction like `audit_record`."""
    actor = acting_user(actor)
    request = request if request is not None else _current_request.get()
    events = [
        _event(
            actor=actor,
            action=entry.action,
            obj=entry.obj,
            patient=entry.patient,
            changes=entry.changes,
            request=request,
            object_repr=entry.object_repr,
        )
        for entry in entries
    ]
    pending = _pending.get()
    if pending is not None:
        pending.extend(events)
    elif events:
        AuditEvent.objects.bulk_create(events)
    return events


# The columns `audit_record_stream` fills; the database fills the chain's.
_STREAM_COLUMNS = (
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "patient_id",
    "changes",
    "ip_address",
    "path",
    "created_at",
    "updated_at",
)


def audit_record_stream(
    *,
    actor: Any,
    entries: Iterable[AuditEntry],
    request: HttpRequest | None = None,
) -> int:
    """Insert one audit row per entry, as `audit_record_many` does, streamed with one COPY
    statement whatever their number (for an import's tens of thousands of rows, where building
    and validating model instances and one INSERT of them all would cost seconds per 10,000).
    The entries come from code, not from a form: they are not validated, only cut to the
    columns' lengths. Written at once, also inside a `batch()`; returns how many. Runs inside
    the caller's transaction; the database chains each row as any other."""
    actor = acting_user(actor)
    request = request if request is not None else _current_request.get()
    actor_id, username = (actor.pk, actor.get_username()) if actor is not None else (None, "")
    address = client_ip(request) if request is not None else None
    path = request.path[:255] if request is not None else ""
    now = timezone.now()

    def rows() -> Iterator[tuple[Any, ...]]:
        for entry in entries:
            obj = entry.obj
            name = entry.object_repr if entry.object_repr is not None else str(obj or "")
            yield (
                actor_id,
                username,
                entry.action,
                obj._meta.label_lower if obj is not None else "",
                str(obj.pk) if obj is not None and obj.pk is not None else "",
                name[:255],
                _patient_id(obj, entry.patient),
                Jsonb(jsonable(dict(entry.changes or {}))),
                address,
                path,
                now,
                now,
            )

    with connection.cursor() as cursor:
        return bulk.copy_rows(cursor.cursor, AuditEvent._meta.db_table, _STREAM_COLUMNS, rows())


def audit_view(
    *,
    actor: Any,
    patient_ids: Iterable[int | None],
    obj: models.Model | None = None,
    shown: type[models.Model] | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    action: str = Action.VIEW,
) -> AuditEvent:
    """One VIEW row for one page view that showed clinical content, naming every patient shown
    (ids, sorted, each once) in `changes["patients"]`; the row's `patient` too when the page
    showed one patient only. `obj` is the record the page shows, or, for a list, `shown` the
    kind of records listed. Costs one INSERT however many patients; written like
    `audit_record` (inside a `batch()`, with the others). `action` EXPORT for data taken out
    rather than shown (the audit log read through the API)."""
    ids = sorted({int(pk) for pk in patient_ids if pk is not None})
    event = _event(
        actor=acting_user(actor),
        action=action,
        obj=obj,
        patient=None,
        changes={**(changes or {}), "patients": ids},
        request=request if request is not None else _current_request.get(),
    )
    if obj is None and shown is not None:
        event.object_type = shown._meta.label_lower
    if event.patient_id is None and len(ids) == 1:
        event.patient_id = ids[0]
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
    else:
        event.save()
    return event


@contextmanager
def batch() -> Iterator[None]:
    """Hold the rows `audit_record` and `audit_record_many` write inside the block and insert
    them all with one INSERT when it ends, in the order written: a service that calls other
    services still costs one audit INSERT. Open it inside the service's transaction; a block
    left by an exception writes no row (its transaction rolls back the change anyway); do not
    catch a service's error inside it, as the rows it held would still be written. A block
    inside another adds its rows to the outer one."""
    if _pending.get() is not None:
        yield
        return
    pending: list[AuditEvent] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending:
        AuditEvent.objects.bulk_create(pending)
