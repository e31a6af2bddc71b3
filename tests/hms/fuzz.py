"""The pieces of tests/hms/test_fuzz.py: the junk it sends, the pages' forms it reads, the URL
patterns it walks and the fingerprint that tells whether a request changed the database."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

Value = str | list[str]

NUL = "a\x00b"
LONG = "x" * 5_000  # past every column (the longest holds 255) and every form's max_length
BIDI = "\u202eevil\u202c"
CONTROL = "bell\x07esc\x1b[31mdel\x7fnel\x85"
REPEATED = ["1", "2"]
HUGE = "99999999999999999999"  # past bigint

# Every field gets each of these in turn (all fields at once: one request per value).
JUNK: tuple[Value, ...] = (
    "",
    "-1",
    HUGE,
    "²",  # a digit to str.isdigit(), not to int()
    "0001-01-01",
    "9999-12-31T23:59",
    NUL,
    LONG,
    BIDI,
    CONTROL,
    REPEATED,
)

# The other roles the page lets in, and the roles it refuses.
FEW: tuple[Value, ...] = ("9999-12-31", BIDI)
REFUSED: tuple[Value, ...] = (REPEATED,)

# One kind of field at a time (the others as the page filled them): the junk that fits its kind.
_TEXT = (LONG, BIDI, CONTROL, "\u200b", REPEATED)
_CHOICE = (HUGE, "-1", "abc", "²", REPEATED)  # "²": a digit to str.isdigit(), not to int()
_DATES = ("0001-01-01", "9999-12-31", "1899-12-31", "2024-02-30", "abc", REPEATED)
TYPED: dict[str, tuple[Value, ...]] = {
    "date": _DATES,
    "datetime-local": ("0001-01-01T10:00", "9999-12-31T10:00", "2024-02-30T10:00", "24:00"),
    "time": ("24:00", "-1", "23:59:59.9999999", REPEATED),
    "number": (HUGE, "-" + HUGE, "1e400", "NaN", "-1", "0.0000001", "abc", "²"),
    "select": _CHOICE,
    "radio": _CHOICE,
    "checkbox": ("abc", REPEATED),
    "hidden": (*_CHOICE, LONG),
    "submit": (*_CHOICE, ""),
}
BASELINE = {
    "date": "2024-01-15",
    "datetime-local": "2024-01-15T10:00",
    "time": "09:00",
    "number": "1",
    "email": "fuzz@example.org",
}


def typed_junk(kind: str) -> tuple[Value, ...]:
    return TYPED.get(kind, _TEXT)


def rounds(fields: list[Field], baseline: dict[str, str]) -> Iterator[tuple[dict, str, str]]:
    """Requests with junk in the fields of one kind, the others at `baseline`: as many
    requests as the kind has junk values, each field of the kind getting each value once
    (the n-th field one value ahead of the (n-1)-th, so a start and an end meet different
    extremes, e.g. year 1 and year 9999)."""
    kinds: dict[str, list[Field]] = {}
    for f in fields:
        kinds.setdefault(f.kind, []).append(f)
    for kind, group in kinds.items():
        if kind == "management":
            continue
        values = typed_junk(kind)
        for i in range(len(values)):
            junk = {f.name: values[(i + n) % len(values)] for n, f in enumerate(group)}
            note = ", ".join(f"{name}={show(value)}" for name, value in list(junk.items())[:3])
            yield baseline | junk, note, kind


def show(value: Value) -> str:
    text = repr(value)
    return text if len(text) < 40 else f"{text[:30]}…({len(value)} chars)"


# --- The forms of a page ---------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an input's type, or "select", "textarea", "submit"
    value: str = ""  # what the page filled in (or the first choice)
    choices: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str  # a path ("" for the page itself)
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, item: Field) -> None:
        known = self.fields.get(item.name)
        if known is None:
            self.fields[item.name] = item
        else:  # radio buttons, submit buttons of one name: more choices
            known.choices += item.choices
            # The last of a form's buttons is its main one ("Show free slots", "Book").
            known.value = item.value if item.kind == "submit" else known.value or item.value


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.loose = Form("get", "")  # fields outside a form (htmx filters)
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    @property
    def _current(self) -> Form:
        return self._form or self.loose

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name", "")
        if tag == "form":
            self._form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "input" and name:
            kind = a.get("type", "text").lower()
            checked = "checked" in a or kind not in ("radio", "checkbox")
            value = a.get("value", "on" if kind == "checkbox" else "")
            self._current.add(Field(name, kind, value if checked else "", [value]))
        elif tag == "button" and name:
            value = a.get("value", "")
            self._current.add(Field(name, "submit", value, [value]))
        elif tag == "select" and name:
            self._select = Field(name, "select")
            self._current.add(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.choices.append(value)
            if "selected" in a or (not self._select.value and value):
                self._select.value = value
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea")
            self._current.add(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Page:
    forms: list[Form]
    loose: Form
    links: list[str]


def parse_page(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    return Page(parser.forms, parser.loose, parser.links)


def query_names(href: str) -> set[str]:
    return {name for name, _ in parse_qsl(urlsplit(href).query, keep_blank_values=True)}


# --- The URL patterns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name"
    route: str
    callback: Any
    arguments: tuple[str, ...]


def url_patterns(resolver: URLResolver | None = None, ns: str = "", prefix: str = ""):
    """Every named URL pattern of the URL conf, with its view and its arguments' names."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from url_patterns(entry, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            arguments = tuple(entry.pattern.regex.groupindex)
            yield Pattern(
                f"{ns}{entry.name}", prefix + str(entry.pattern), entry.callback, arguments
            )


_READS = re.compile(r"request\.(?:GET|POST)\.(?:get|getlist|__getitem__)\(\s*[\"'](\w+)[\"']")
_INDEXES = re.compile(r"request\.(?:GET|POST)\[\s*[\"'](\w+)[\"']\s*\]")


def parameters_read(callback: Any) -> set[str]:
    """The names a view reads from its query or form data itself (beside its forms' fields),
    found in its module's source: `request.GET.get("doctor")`, `request.POST["slot"]`."""
    view = inspect.unwrap(callback)
    view = getattr(view, "view_class", view)
    try:
        source = inspect.getsource(inspect.getmodule(view))
    except (OSError, TypeError):
        return set()
    if getattr(inspect.getmodule(view), "__name__", "").startswith("django."):
        return set()
    return set(_READS.findall(source)) | set(_INDEXES.findall(source))


# A formset's management fields stay as the page filled them: Django caps a forged count at
# 1,000 forms itself, and a thousand inline forms per request would only slow the test down.
_MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")


def iter_fields(forms: list[Form]) -> Iterator[Field]:
    seen: set[str] = set()
    for form in forms:
        for item in form.fields.values():
            if item.name.endswith(_MANAGEMENT):
                item.kind = "management"
            if item.name not in seen and item.name != "csrfmiddlewaretoken":
                seen.add(item.name)
                yield item


# --- Did the database change? ----------------------------------------------------------------

# Rows a refused request may still write: the audit log's reads and sign-ins, sessions, the
# login lockout's counters. Everything else must stay exactly as it was.
_QUIET_ACTIONS = ("view", "export", "login", "logout", "login_failed")
_FIXED = ("auth.Permission",)  # made by migrate; no page writes them
_LABELS = (
    "auth",
    "core",
    "patients",
    "doctors",
    "appointments",
    "billing",
    "clinical",
    "imports",
    "reports",
    "fhir",
    "jobs",
    "otp_totp",
    "otp_static",
    "django_otp_webauthn",
)


def _models() -> list[Any]:
    models = [model for label in _LABELS for model in apps.get_app_config(label).get_models()]
    return [model for model in models if model._meta.label not in _FIXED]


def _rows_sql(model: Any, select: str, *, every_audit_row: bool = False) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    where = ""
    if model._meta.label == "core.AuditEvent" and not every_audit_row:
        quiet = ", ".join(f"'{a}'" for a in _QUIET_ACTIONS)
        where = f"WHERE action NOT IN ({quiet})"
    return f"SELECT {select} FROM {table} t {where}"


# The last digest of each table, with the count of rows this transaction had written to it
# then: a table this transaction has not written since is not read again (the code set of
# ICD-10 alone, loaded by a migration, made each fingerprint cost a quarter of a second).
_DIGESTS: dict[tuple[str, bool], tuple[Any, str]] = {}


def database_fingerprint(*, every_audit_row: bool = False) -> dict[str, str]:
    """A digest of every row of the project's tables, per table; of the audit log's rows, those
    a refused request may not write (every row with `every_audit_row`).

    PostgreSQL counts the rows the current transaction inserted, updated and deleted per table
    (pg_stat_get_xact_tuples_*, rolled-back savepoints included). A table whose count, in this
    transaction, is the one of its last digest has not changed since: its digest is reused.
    Any write, even one undone, makes the table digested again, so no change goes unseen.
    """
    models = _models()
    written = " UNION ALL ".join(
        f"SELECT '{model._meta.label}', now()::text || ':' || ("
        + " + ".join(
            f"pg_stat_get_xact_tuples_{what}('{connection.ops.quote_name(model._meta.db_table)}'"
            "::regclass)"
            for what in ("inserted", "updated", "deleted")
        )
        + ")::text"
        for model in models
    )
    with connection.cursor() as cursor:
        cursor.execute(written)
        counts = dict(cursor.fetchall())
        stale = [
            m
            for m in models
            if _DIGESTS.get((m._meta.label, every_audit_row), (None,))[0] != counts[m._meta.label]
        ]
        if stale:
            digest = (
                "md5(coalesce(string_agg((to_jsonb(t) - 'last_login')::text, ',' ORDER BY t.{}),"
                " ''))"
            )
            cursor.execute(
                " UNION ALL ".join(
                    _rows_sql(
                        m,
                        f"'{m._meta.label}', {digest.format(m._meta.pk.column)}",
                        every_audit_row=every_audit_row,
                    )
                    for m in stale
                )
            )
            for label, value in cursor.fetchall():
                _DIGESTS[label, every_audit_row] = (counts[label], value)
    return {m._meta.label: _DIGESTS[m._meta.label, every_audit_row][1] for m in models}


def stored_texts(label: str) -> Iterator[str]:
    """Every string stored in the rows of the model `label` (JSON values included)."""
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql(apps.get_model(label), "to_jsonb(t)"))
        rows = [row for (row,) in cursor.fetchall()]

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    for row in rows:
        yield from walk(row)
