"""What a resource type of the API is made of. Each mapping module (fhir/mappings/) describes
one type with a `ResourceType`; fhir/registry.py lists them, and the URLs, the searches, the
refusals and the CapabilityStatement are all read from that list, so what the server says it
does and what it does cannot drift apart.

A search is a `Plan` over a queryset (paged by its `Keyset`), or `Computed` when its rows are
worked out in Python rather than stored (Slot: the availability engine's free slots): its
parameters store what they ask in `filters`, its `fetch` returns a page's rows after a key,
and the views page, sign and link it exactly as a queryset's. A type whose ids are not record
numbers reads them with its own `read_id` (a 400 for a malformed one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q, QuerySet
from fhir.resources.R4B.resource import Resource

from core.pagination import RowCompare

if TYPE_CHECKING:
    from patients.models import Patient


@dataclass(frozen=True)
class Keyset:
    """The order of a search's rows, and how to start after a row: `columns` (fields or
    annotations of the queryset) all ascending, the last one unique. A row's key is its values
    of the columns; the rows after it are one row comparison, which PostgreSQL answers from
    an index as a range, so page 5,000 costs what page 1 does."""

    columns: tuple[str, ...] = ("pk",)

    def order(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by(*self.columns)

    def key(self, row: models.Model) -> list[Any]:
        return [row.pk if column == "pk" else getattr(row, column) for column in self.columns]

    def after(self, queryset: QuerySet, key: Sequence[Any]) -> QuerySet:
        return queryset.filter(RowCompare(self.columns, ">", list(key)))


@dataclass
class Plan:
    """A search being put together: the rows to start from (`base`), the conditions each
    search parameter adds, the order that pages it, and `notes`: each looks at the first
    page's rows and may give a warning for the client (e.g. that a name search was cut at the
    front desk's limit)."""

    base: QuerySet
    conditions: list[Q] = field(default_factory=list)
    keyset: Keyset = field(default_factory=Keyset)
    notes: list[Callable[[Sequence[models.Model]], str | None]] = field(default_factory=list)
    # A search that reads its page its own way (Patient's name: two index ranges merged):
    # fetch(plan, after, limit) returns at most `limit` rows after the key `after`, in the
    # keyset's order, from the plan's base and conditions.
    fetch: Callable[[Plan, list[Any] | None, int], list[models.Model]] | None = None

    def where(self, condition: Q) -> None:
        self.conditions.append(condition)

    def queryset(self) -> QuerySet:
        return self.keyset.order(self.base.filter(*self.conditions))

    @property
    def model(self) -> type[models.Model]:
        return self.base.model

    def key(self, row: models.Model) -> list[Any]:
        return self.keyset.key(row)


@dataclass
class Computed:
    """A search whose rows are computed, not read from a queryset. Its parameters put what
    they ask into `filters`; `fetch(filters, after, limit)` returns at most `limit` rows in
    key order, those after the key `after` (None: from the first), and must cost what the
    first page costs whatever the key (it starts at the key, it does not skip to it);
    `key(row)` is a row's key (strings and numbers: the next link signs it). A key the
    search cannot start from is fetch's to refuse (fhir.search.STALE_LINK). `notes` as a
    Plan's."""

    fetch: Callable[[dict[str, Any], list[Any] | None, int], list[Any]]
    key: Callable[[Any], list[Any]]
    filters: dict[str, Any] = field(default_factory=dict)
    notes: list[Callable[[Sequence[Any]], str | None]] = field(default_factory=list)

    @property
    def model(self) -> None:
        """No model: a computed row is no record (nor patient data to audit)."""
        return None


@dataclass(frozen=True)
class SearchParam:
    """One search parameter: its FHIR name and type (token, string, date, reference), what it
    matches in words (the CapabilityStatement's documentation), and `apply`, which narrows
    the plan by the parameter's values (one per occurrence in the query: all must match)."""

    name: str
    type: str
    documentation: str
    apply: Callable[[Any, list[str]], None]  # (the Plan or Computed, the values)


@dataclass(frozen=True)
class Write:
    """A write a type takes (fhir.writes): who may make it (`allows`, else a 403 saying
    `refusal`), and `apply`, which makes it through the app's service and raises fhir.errors'
    Conflict (409) or Unprocessable (422) with the service's words when it refuses. A create's
    `apply(user, resource)` returns the new row; an update's `apply(user, row, current,
    resource)` (current: the row's resource as read now) returns the row."""

    allows: Callable[[Any], bool]
    refusal: str
    apply: Callable[..., models.Model]


@dataclass(frozen=True)
class ResourceType:
    """One resource type: who may read it, how a row is found and searched, and how a row
    becomes the resource (`to_resource`, built with fhir.resources' R4B model).

    `patient_ids` names the patients a row shows: set for patient data, whose every read the
    audit log records (core.audit.audit_view, as the chart does).

    `for_patient` is set by the types of a patient's compartment (their rows belong to one
    patient): all of a patient's rows of the type, ordered, with what `to_resource` reads
    already joined, so `Patient/<id>/$everything` costs one query per type however many rows
    the patient has. Such a type also sets `patient_ids`.

    `restrict` narrows a queryset of the type's rows to those the user may read, when a role
    that may read the type reads only part of it (a billing clerk: billable entries only).
    Searches, reads (others' rows are a 404) and `$everything` all apply it, through
    `for_user`."""

    name: str
    documentation: str
    allows: Callable[[Any], bool]
    refusal: str
    start: Callable[[], Plan | Computed]
    get: Callable[[Any], Any]
    to_resource: Callable[[Any], Resource]
    params: tuple[SearchParam, ...]
    patient_ids: Callable[[Sequence[models.Model]], list[int]] | None = None
    for_patient: Callable[[Patient], QuerySet] | None = None
    restrict: Callable[[Any, QuerySet], QuerySet] | None = None
    interactions: tuple[str, ...] = ("read", "search-type")
    # How a read's `<Type>/<id>` is read (BadRequest when malformed), for a type whose ids
    # are not record numbers (Slot); None: a record's whole-number id (fhir.search.record_id).
    read_id: Callable[[str], Any] | None = None
    # Writes (fhir.writes): POST /<Type> creates; PUT and PATCH /<Type>/<id> update.
    create: Write | None = None
    update: Write | None = None
    # The action of the audit row a read writes (with `patient_ids`): "view", or "export" for
    # the audit log itself (AuditEvent), as the audit page's CSV export writes.
    audit_action: str = "view"

    @property
    def url_name(self) -> str:
        return self.name.lower()

    @property
    def served(self) -> tuple[str, ...]:
        """Every interaction the server answers for the type (the CapabilityStatement's)."""
        writes = (("create",) if self.create else ()) + (("update", "patch") if self.update else ())
        return (*self.interactions, *writes)

    def for_user(self, user: Any) -> ResourceType:
        """The type as `user` reads it: with `restrict`, its plans start from the rows the
        user may read, and `get` and `for_patient` find only those (a read of another row is
        a 404). Without `restrict`, the type itself."""
        if self.restrict is None:
            return self
        start, restrict, for_patient = self.start, self.restrict, self.for_patient

        def narrowed_start() -> Plan:
            plan = start()
            plan.base = restrict(user, plan.base)
            return plan

        return replace(
            self,
            start=narrowed_start,
            get=lambda pk: narrowed_start().base.filter(pk=pk).first(),
            for_patient=None
            if for_patient is None
            else (lambda patient: restrict(user, for_patient(patient))),
            restrict=None,
        )

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)
