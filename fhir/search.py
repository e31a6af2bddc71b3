"""Reading a search's query string: which parameters, their values (tokens, dates with
prefixes, references), `_count`, and the page link's cursor. Whatever cannot be read is a
400 OperationOutcome saying why, never a guess."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from core.dates import local_day_bounds
from fhir.errors import BadRequest, NotFound
from fhir.kinds import Computed, Plan, ResourceType

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters of every search that are not search parameters of a type: the page size, the
# page link's cursor, and how the answer is written.
RESULT_PARAMS = ("_count", "_cursor", "_format", "_pretty")
CURSOR_SALT = "fhir.search.cursor"
STALE_LINK = (
    "This page link is out of date or was changed (its cursor does not belong to this "
    "search): run the search again from its first page and follow its 'next' links."
)
# Ids are the records' bigint keys, written as the server writes them.
_ID = re.compile(r"[0-9]{1,18}")
# A date parameter: a prefix, then a year, a month or a day (FHIR's partial dates).
_DATE = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>[0-9]{4})(-(?P<month>[0-9]{2}))?(-(?P<day>[0-9]{2}))?"
)
DATE_PREFIXES = ("eq", "ge", "le", "gt", "lt")
# A FHIR date or dateTime value: a prefix, a year, month, day, or a time to the minute, second
# or finer, with its zone (Z or +hh:mm) or none.
_MOMENT = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>[0-9]{4})(-(?P<month>[0-9]{2})(-(?P<day>[0-9]{2})"
    r"(T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(:(?P<second>[0-9]{2})(\.(?P<fraction>[0-9]{1,6}))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
_MOMENT_FORMAT = (
    "write YYYY, YYYY-MM, YYYY-MM-DD or a time such as 2030-03-04T09:00[:00][Z or +01:00], "
    f"optionally after a prefix ({', '.join(DATE_PREFIXES)})"
)


def record_id(text: str, *, type_name: str) -> int:
    """The record id of `<Type>/<id>`: 400 unless it is digits, 404 unless it is one the
    server could have written (no leading zeros)."""
    if not _ID.fullmatch(text):
        raise BadRequest(f"'{text[:64]}' is not a {type_name} id: ids here are whole numbers.")
    if str(int(text)) != text:
        raise NotFound(f"There is no {type_name} with id {text}.")
    return int(text)


# --- values -----------------------------------------------------------------------------------


def split_or(value: str) -> list[str]:
    """A parameter's comma-separated alternatives (any may match), `\\,` being a comma."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


@dataclass(frozen=True)
class Token:
    """`[system|]code`: `system` None when the value names none (any system matches)."""

    system: str | None
    code: str

    @classmethod
    def parse(cls, value: str) -> Token:
        if "|" in value:
            system, code = value.split("|", 1)
            return cls(system=system.strip(), code=code.strip())
        return cls(system=None, code=value.strip())

    def in_system(self, system: str) -> bool:
        return self.system is None or self.system == system


def any_of(value: str, condition: Callable[[str], Q]) -> Q:
    """The OR of `condition` over one occurrence's comma-separated alternatives."""
    combined = Q(pk__in=[])
    for alternative in split_or(value):
        combined |= condition(alternative)
    return combined


def date_condition(field: str, value: str, *, param: str) -> Q:
    """`field` against a FHIR date value: a year, month or day, prefixed by eq (the default),
    ge, le, gt or lt. A partial date is its whole range: ge1980 is from 1 Jan 1980, gt1980
    from 1 Jan 1981, eq1980-05 any day of May 1980."""
    prefix, first, last = _date_value(value, param=param)
    return {
        "eq": Q(**{f"{field}__gte": first, f"{field}__lte": last}),
        "ge": Q(**{f"{field}__gte": first}),
        "le": Q(**{f"{field}__lte": last}),
        "gt": Q(**{f"{field}__gt": last}),
        "lt": Q(**{f"{field}__lt": first}),
    }[prefix]


def _date_value(value: str, *, param: str) -> tuple[str, datetime.date, datetime.date]:
    """The prefix of a FHIR date value and the first and last day it names."""
    match = _DATE.fullmatch(value)
    if not match:
        raise BadRequest(
            f"{param}: '{value[:40]}' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD, "
            f"optionally after a prefix ({', '.join(DATE_PREFIXES)})."
        )
    prefix = _prefix(match["prefix"], param=param)
    try:
        first, last = _date_range(int(match["year"]), match["month"], match["day"])
    except ValueError:
        raise BadRequest(f"{param}: '{value[:40]}' is not a date of the calendar.") from None
    return prefix, first, last


def _prefix(prefix: str | None, *, param: str) -> str:
    if prefix is None:
        return "eq"
    if prefix not in DATE_PREFIXES:
        raise BadRequest(
            f"{param}: the prefix '{prefix}' is not supported; use one of "
            f"{', '.join(DATE_PREFIXES)}.",
            code="not-supported",
        )
    return prefix


@dataclass(frozen=True)
class Moment:
    """A FHIR date or dateTime value: its prefix, the instants [first, end) it names, and its
    precision ("year", "month", "day" or "time")."""

    prefix: str
    first: datetime.datetime
    end: datetime.datetime
    precision: str


def moment(value: str, *, param: str) -> Moment:
    """`value` read as the instants it names, to its precision: a year, month or day is its
    days in the hospital's time zone (as the pages' date filters), a time its minute, second
    or microsecond (without a zone, the hospital's)."""
    match = _MOMENT.fullmatch(value)
    if not match:
        raise BadRequest(f"{param}: '{value[:40]}' is not a date or a time: {_MOMENT_FORMAT}.")
    prefix = _prefix(match["prefix"], param=param)
    try:
        first, end, precision = _instants(match)
    except (ValueError, OverflowError):
        what = "date or time" if match["hour"] else "date"
        raise BadRequest(f"{param}: '{value[:40]}' is not a {what} of the calendar.") from None
    return Moment(prefix, first, end, precision)


def _instants(match: re.Match) -> tuple[datetime.datetime, datetime.datetime, str]:
    year = int(match["year"])
    if match["month"] is None:
        first, last = _date_range(year, None, None)
        return local_day_bounds(first)[0], local_day_bounds(last)[1], "year"
    if match["hour"] is None:
        first, last = _date_range(year, match["month"], match["day"])
        precision = "day" if match["day"] else "month"
        return local_day_bounds(first)[0], local_day_bounds(last)[1], precision
    at = datetime.datetime(
        year, int(match["month"]), int(match["day"]), int(match["hour"]), int(match["minute"])
    )
    step = datetime.timedelta(minutes=1)
    if match["second"] is not None:
        at = at.replace(second=int(match["second"]))
        step = datetime.timedelta(seconds=1)
        if match["fraction"] is not None:
            at = at.replace(microsecond=int(match["fraction"].ljust(6, "0")))
            step = datetime.timedelta(microseconds=1)
    zone = match["zone"]
    if zone is None:
        first = timezone.make_aware(at, timezone.get_default_timezone())
    else:
        first = datetime.datetime.fromisoformat(
            at.isoformat() + ("+00:00" if zone == "Z" else zone)
        )
    return first, first + step, "time"


def moment_condition(field: str, value: str, *, param: str) -> Q:
    """`field`, a moment (a DateTimeField), against a FHIR date value with the prefixes of
    `date_condition` (see `moment`). Each is a range [first, end), bounds an index reads as one
    range."""
    asked = moment(value, param=param)
    start, end = asked.first, asked.end
    return {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "le": Q(**{f"{field}__lt": end}),
        "gt": Q(**{f"{field}__gte": end}),
        "lt": Q(**{f"{field}__lt": start}),
    }[asked.prefix]


def _date_range(year: int, month: str | None, day: str | None) -> tuple[datetime.date, ...]:
    if year < 1:
        raise ValueError(year)
    if month is None:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if day is None:
        last_day = calendar.monthrange(year, int(month))[1] if 1 <= int(month) <= 12 else 0
        return datetime.date(year, int(month), 1), datetime.date(year, int(month), last_day)
    one = datetime.date(year, int(month), int(day))
    return one, one


def reference_id(value: str, *, target: str, param: str) -> int:
    """The id of a reference to a `target`: `<target>/<id>`, a URL ending so, or the id."""
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] != target:
        raise BadRequest(f"{param}: '{value[:80]}' is not a reference to a {target}.")
    text = parts[-1]
    if not _ID.fullmatch(text):
        raise BadRequest(f"{param}: '{value[:80]}' is not a {target} reference or id.")
    return int(text)


# --- the query string -------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    """A search as the server understood it: each known parameter's values (in the order
    given), the page size, and the page link's cursor with the key of the row the page
    starts after (None: page 1)."""

    kind: ResourceType
    criteria: dict[str, list[str]]
    count: int
    cursor: str | None = None
    after: list[Any] | None = None

    def applied(self) -> list[tuple[str, str]]:
        """The search parameters applied, in a fixed order."""
        return sorted((name, value) for name, values in self.criteria.items() for value in values)

    def link(self, base: str, *, cursor: str | None) -> str:
        """`base` with this search's parameters, its page size and `cursor` (the page)."""
        pairs = [*self.applied(), ("_count", str(self.count))]
        if cursor is not None:
            pairs.append(("_cursor", cursor))
        return f"{base}?{urlencode(pairs)}"

    def fingerprint(self) -> str:
        """What a cursor is bound to: the type and the parameters (not the page size, which a
        client may change between pages)."""
        text = "&".join(f"{name}={value}" for name, value in self.applied())
        return hashlib.sha256(f"{self.kind.name}?{text}".encode()).hexdigest()[:32]

    def cursor_after(self, key: list[Any]) -> str:
        """The `_cursor` of the page after the row of `key`: the key, and the search it
        belongs to, signed, so an edited link is refused instead of paging something else."""
        payload = {"s": self.fingerprint(), "k": key}
        return signing.dumps(payload, salt=CURSOR_SALT, compress=True)


def parse_search(kind: ResourceType, query: QueryDict, *, lenient: bool = False) -> SearchRequest:
    """The search `query` asks of `kind`. An unknown parameter is a 400 listing the supported
    ones, unless the client asked for lenient handling (`Prefer: handling=lenient`), which
    leaves it out. An empty value is ignored, as FHIR says."""
    known = {param.name for param in kind.params}
    unknown = sorted(name for name in query if name not in known and name not in RESULT_PARAMS)
    if unknown and not lenient:
        supported = ", ".join([*(p.name for p in kind.params), "_count"])
        raise BadRequest(
            f"Unknown search parameter{'s' if len(unknown) > 1 else ''} for {kind.name}: "
            f"{', '.join(repr(name[:40]) for name in unknown)}. Supported: {supported}.",
            code="not-supported",
        )
    criteria: dict[str, list[str]] = {}
    for param in kind.params:
        values = [value.strip() for value in query.getlist(param.name) if value.strip()]
        if values:
            criteria[param.name] = values
    search = SearchRequest(kind=kind, criteria=criteria, count=_count(query.getlist("_count")))
    cursors = [cursor for cursor in query.getlist("_cursor") if cursor]
    if not cursors:
        return search
    if len(cursors) > 1:
        raise BadRequest(STALE_LINK)
    return SearchRequest(
        kind=kind,
        criteria=criteria,
        count=search.count,
        cursor=cursors[0],
        after=_key_of(search, cursors[0]),
    )


def _count(values: list[str]) -> int:
    if not values or values == [""]:
        return DEFAULT_COUNT
    value = values[-1].strip()
    if len(values) > 1 or not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise BadRequest(f"_count: give one whole number from 1 to {MAX_COUNT} (the page size).")
    return min(int(value), MAX_COUNT)


def _key_of(search: SearchRequest, cursor: str) -> list[Any]:
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        raise BadRequest(STALE_LINK) from None
    if not isinstance(payload, dict):
        raise BadRequest(STALE_LINK)
    key = payload.get("k")
    if (
        payload.get("s") != search.fingerprint()
        or not isinstance(key, list)
        or not key
        or not all(isinstance(value, str | int | float) for value in key)
    ):
        raise BadRequest(STALE_LINK)
    return key


def _planned(search: SearchRequest) -> Plan | Computed:
    plan = search.kind.start()
    for name, values in search.criteria.items():
        search.kind.param(name).apply(plan, values)
    return plan


def page_rows(search: SearchRequest) -> tuple[Plan | Computed, list[Any]]:
    """The search's plan and its page's rows, with one more when a next page follows: a
    queryset's from the cursor's key on (`page_query`), a computed search's from its
    `fetch`, which starts at the key too."""
    limit = search.count + 1
    plan = _planned(search)
    if isinstance(plan, Computed):
        return plan, plan.fetch(plan.filters, search.after, limit)
    if plan.fetch is not None:
        if search.after is not None and len(search.after) != len(plan.keyset.columns):
            raise BadRequest(STALE_LINK)
        return plan, plan.fetch(plan, search.after, limit)
    return plan, list(_from_key(plan, search)[:limit])


def page_query(search: SearchRequest) -> tuple[Plan, QuerySet]:
    """The search's plan, and its rows from the cursor's key on, in the plan's order (to be
    sliced to the page): one row comparison on an index, whichever the page."""
    plan = _planned(search)
    assert isinstance(plan, Plan), f"{search.kind.name} is a computed search"
    return plan, _from_key(plan, search)


def _from_key(plan: Plan, search: SearchRequest) -> QuerySet:
    rows = plan.queryset()
    if search.after is None:
        return rows
    if len(search.after) != len(plan.keyset.columns):
        raise BadRequest(STALE_LINK)
    return plan.keyset.after(rows, search.after)
