"""No input breaks a page: every URL pattern of the URL conf × every role, with junk in each
query parameter and form field.

The URL patterns come from the URL conf (a new page is fuzzed without editing this file): their
arguments from tests/hms/url_table.py where it lists the page, else from the admin's model or a
missing object. For each page and role the test GETs the page, reads its forms (and the links
and the parameters its view reads itself), then sends:
- every junk value of `fuzz.JUNK` in all query parameters at once, and in all form fields at
  once (one request per value);
- for the first role the page lets in: each parameter and each field alone with the junk that
  fits its kind (a date gets years 1 and 9999, a number huge and negative ones), the others as
  the page filled them;
- for a role the page refuses: three of the values, which must be refused the same way.
POST-only URLs (a button on another page) get the fields of the forms that post to them,
found on the url table's pages.

It asserts: no answer is a 5xx; a write that changed nothing (refused) left every row of the
database as it was and told the person why (a form error, a message, or a 4xx page); and the
database never holds a direction override or control character, whatever was accepted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from tests.billing.conftest import fast_pdf  # noqa: F401 (a fixture of `objects`)
from tests.hms import fuzz
from tests.hms.test_url_access import Objects
from tests.hms.test_url_access import objects as objects  # noqa: F401 (the fixture)
from tests.hms.url_table import OK, ROLES, ROWS, Row

pytestmark = pytest.mark.django_db

PATTERNS = list(fuzz.url_patterns())
ROWS_BY_NAME: dict[str, list[Row]] = {}
for _row in ROWS:
    ROWS_BY_NAME.setdefault(_row.name, []).append(_row)

# Markup that tells a person why a form was not accepted.
REFUSAL = re.compile(
    r'invalid-feedback|errorlist|alert-danger|alert-warning|errornote|messagelist|role="alert"'
)
# A step that asks to confirm (the admin's "Are you sure?" before an action): not a refusal.
CONFIRMATION = re.compile(r'<input type="hidden" name="post" value="yes"')
# A form shown again with its errors: nothing of it may have been written.
FORM_ERRORS = re.compile(r'invalid-feedback|class="errorlist|errornote')
# What the database must never hold, whatever a form accepted.
INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)

PROJECT_APPS = (
    "core",
    "patients",
    "doctors",
    "appointments",
    "billing",
    "clinical",
    "imports",
    "fhir",
    "jobs",
)

# The admin's change pages: which of the url table's objects to open.
ADMIN_OBJECTS = {
    "patients.Patient": "patient",
    "patients.MedicalHistory": "entry",
    "appointments.Appointment": "appointment",
    "appointments.Attendance": "visit",
    "billing.Invoice": "invoice",
    "billing.InvoiceLine": "line",
    "billing.MedicationCost": "medication",
    "billing.ProcedureFee": "procedure",
    "doctors.Doctor": "own_doctor",
    "doctors.Specialty": "specialty",
    "doctors.WorkingHours": "hours",
    "doctors.TimeOff": "time_off",
    "imports.WorkbookUpload": "upload",
    "auth.User": "staff_member",
}


class _Broke(Exception):
    """Raised inside a request's savepoint to roll back what a failed request left."""


class Fuzzer:
    def __init__(self, request: pytest.FixtureRequest, client, made: Objects) -> None:
        self.request, self.client, self.objects = request, client, made
        self.problems: list[str] = []
        self.requests = 0
        self.role = "anonymous"
        self.stored: dict[str, set[str]] = {}

    # --- sending -------------------------------------------------------------------------

    def login(self, role: str) -> None:
        self.role = role
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.request.getfixturevalue(role))

    def send(self, method: str, url: str, data: dict[str, Any], note: str):
        self.requests += 1
        send = self.client.get if method == "get" else self.client.post
        try:
            with transaction.atomic():
                response = send(url, data)
                if response.status_code >= 500:
                    raise _Broke(response)
        except _Broke as broke:
            response = broke.args[0]
            error = response.exc_info[1] if response.exc_info else ""
            self.problems.append(
                f"{response.status_code} {method.upper()} {url} as {self.role} ({note}): "
                f"{type(error).__name__}: {str(error)[:200]}"
            )
        if self.role != "anonymous" and not response.wsgi_request.user.is_authenticated:
            self.login(self.role)  # the page logged us out (logout, a changed password)
        return response

    def post(self, url: str, data: dict[str, Any], note: str, *, write: bool = True) -> None:
        before = fuzz.database_fingerprint()
        response = self.send("post", url, data, note)
        if response.status_code >= 500:
            return
        after = fuzz.database_fingerprint()
        where = f"POST {url} as {self.role} ({note})"
        refused = response.status_code >= 400 or (
            response.status_code == 302 and "login" in response.url
        )
        if after != before and refused:
            changed = sorted(label for label in after if after[label] != before.get(label))
            self.problems.append(f"refused, yet changed {', '.join(changed)}: {where}")
        elif after != before and FORM_ERRORS.search(response.content.decode()):
            changed = sorted(label for label in after if after[label] != before.get(label))
            self.problems.append(f"form refused, yet changed {', '.join(changed)}: {where}")
        elif after != before:
            self._stored_nothing_invisible(where, before, after)
        elif (
            write  # junk in a button's value asks for no known action: the page again is right
            and response.status_code == 200
            and "html" in response.get("Content-Type", "")
            and not REFUSAL.search(response.content.decode())
            and not CONFIRMATION.search(response.content.decode())
        ):
            self.problems.append(f"refused without a word: {where}")

    def _stored_nothing_invisible(self, where: str, before: dict, after: dict) -> None:
        changed = [label for label in after if after[label] != before.get(label)]
        # The project's own tables (Django's users and groups keep Django's rules).
        # (The audit log records what was done, characters and all.)
        project = [x for x in changed if x.split(".")[0] in PROJECT_APPS and x != "core.AuditEvent"]
        for label in project:
            texts = set(fuzz.stored_texts(label))
            new, self.stored[label] = texts - self.stored.get(label, set()), texts
            if any(INVISIBLE.search(text) for text in new):
                self.problems.append(f"stored an invisible character in {label}: {where}")

    # --- a page ----------------------------------------------------------------------------

    def page(self, url: str, row: Row | None, callback: Any) -> None:
        first = True  # the first role the page lets in gets every value; the others a few
        for role in ROLES:
            self.login(role)
            response = self.send("get", url, {}, "as it is")
            page = None
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                page = fuzz.parse_page(response.content.decode())
            gets, posts = self.fields(url, page, row, callback, response.status_code)
            allowed = response.status_code == 200 or (response.status_code == 405 and bool(posts))
            values = fuzz.JUNK if allowed and first else fuzz.FEW if allowed else fuzz.REFUSED
            for value in values if gets else ():
                query = {f.name: f.value if f.kind == "management" else value for f in gets}
                self.send("get", url, query, f"every parameter {fuzz.show(value)}")
            posting = bool(posts) or response.status_code == 405 or bool(row and row.post)
            # Junk in a button's value asks for no known action: the page again is right.
            buttons = any(f.kind == "submit" for f in posts)
            for value in values if posting else ():
                data = {f.name: f.value if f.kind == "management" else value for f in posts}
                self.post(url, data, f"every field {fuzz.show(value)}", write=not buttons)
            if not (allowed and first):
                continue
            first = False
            for data, note, _ in fuzz.rounds(gets, {}):
                self.send("get", url, data, note)
            baseline = _baseline(posts, self.objects.data(row) if row else {})
            for data, note, kind in fuzz.rounds(posts, baseline) if posting else ():
                self.post(url, data, note, write=kind != "submit")

    def fields(self, url, page, row, callback, status) -> tuple[list[fuzz.Field], list[fuzz.Field]]:
        """The page's query parameters and the fields of the forms that post to it."""
        path = url.split("?")[0]
        own = [f for f in (page.forms if page else []) if _same(f.action, path)]
        gets = list(fuzz.iter_fields([f for f in own if f.method == "get"]))
        posts = list(fuzz.iter_fields([f for f in own if f.method == "post"]))
        if page is not None:
            gets += list(fuzz.iter_fields([page.loose]))
            for href in page.links:
                if _same(href.split("?")[0], path) or href.startswith("?"):
                    gets += [fuzz.Field(n, "text") for n in fuzz.query_names(href)]
        if status == 405:
            posts += self.hosted_fields(path)
        read = fuzz.parameters_read(callback)
        if row is not None:
            read |= fuzz.query_names(row.query) | set(row.data)
        gets += [fuzz.Field(name, "text") for name in sorted(read)]
        if status == 405 or posts or (row and row.post):
            posts += [fuzz.Field(name, "text") for name in sorted(read)]
        return _unique(gets), _unique(posts)

    def hosted_fields(self, path: str) -> list[fuzz.Field]:
        """The fields of the forms on other pages that post to `path` (a POST-only URL)."""
        view = resolve(path).view_name
        forms = []
        for host in ROWS:
            if host.get.get(self.role) != OK or host.check is not None:
                continue
            if view not in _hosts().get(host.id, ()):
                continue
            try:
                with transaction.atomic():
                    url = self.objects.url(host)
            except Exception:  # noqa: BLE001 - the fuzz's own writes forbid this object now
                continue
            response = self.client.get(url)
            if response.status_code == 200:
                page = fuzz.parse_page(response.content.decode())
                forms += [f for f in page.forms if f.method == "post" and _same(f.action, path)]
        return list(fuzz.iter_fields(forms))


_HOSTS: dict[str, set[str]] = {}


def _hosts() -> dict[str, set[str]]:
    """Which of the url table's pages hold a form posting to which view, learnt once, from the
    pages as the first role that may see them sees them."""
    return _HOSTS


def _baseline(fields: list[fuzz.Field], known: dict[str, str]) -> dict[str, str]:
    """Valid values: as the page filled them, else the url table's, else one of the kind's."""
    values = {}
    for f in fields:
        value = f.value or known.get(f.name) or fuzz.BASELINE.get(f.kind, "")
        if not value and f.kind in ("text", "textarea"):
            value = "Fuzz"
        values[f.name] = value
    return known | values


def _same(action: str, path: str) -> bool:
    target = action.split("?")[0]
    return target in ("", path, "#")


def _unique(fields: list[fuzz.Field]) -> list[fuzz.Field]:
    seen: dict[str, fuzz.Field] = {}
    for f in fields:
        if f.name != "csrfmiddlewaretoken":
            seen.setdefault(f.name, f)
    return list(seen.values())


def _learn_hosts(fuzzer: Fuzzer) -> None:
    if _HOSTS:
        return
    for host in ROWS:
        role = next((r for r in ROLES if host.get[r] == OK), None)
        if role is None or host.check is not None:
            continue
        fuzzer.login(role)
        response = fuzzer.client.get(fuzzer.objects.url(host))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in fuzz.parse_page(response.content.decode()).forms:
            try:
                view = resolve(form.action.split("?")[0]).view_name
            except Resolver404:
                continue
            _HOSTS.setdefault(host.id, set()).add(view)
    _HOSTS.setdefault("", set())


def _admin_url(pattern: fuzz.Pattern, made: Objects) -> str | None:
    admin = getattr(pattern.callback, "model_admin", None)
    kwargs: dict[str, Any] = {}
    for name in pattern.arguments:
        if name == "object_id" and admin is not None:
            key = ADMIN_OBJECTS.get(admin.model._meta.label)
            found = made[key] if key else admin.model.objects.order_by("pk").first()
            kwargs[name] = found.pk if found is not None else 999_999
        elif name == "object_id":
            kwargs[name] = made["patient"].pk
        elif name == "content_type_id":
            kwargs[name] = ContentType.objects.get_for_model(made["patient"]).pk
        elif name == "app_label":
            kwargs[name] = admin.model._meta.app_label if admin else "patients"
        else:
            kwargs[name] = "1"
    try:
        return reverse(pattern.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _group(pattern: fuzz.Pattern) -> str:
    """Pages are fuzzed by app (the admin's by model app), sharing one test's objects."""
    parts = pattern.name.split(":")
    if parts[0] == "admin":
        admin = getattr(pattern.callback, "model_admin", None)
        return f"admin:{admin.model._meta.app_label}" if admin else "admin"
    return parts[0] if len(parts) > 1 else "project"


GROUPS: dict[str, list[fuzz.Pattern]] = {}
for _pattern in PATTERNS:
    GROUPS.setdefault(_group(_pattern), []).append(_pattern)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_input_breaks_a_page(request, client, objects, group):  # noqa: F811
    fuzzer = Fuzzer(request, client, objects)
    client.raise_request_exception = False
    _learn_hosts(fuzzer)
    targets = []  # every object made before any junk is sent (the fuzz's writes may forbid one)
    for pattern in GROUPS[group]:
        rows = ROWS_BY_NAME.get(pattern.name)
        if rows:
            targets += [(objects.url(row), row, pattern) for row in rows]
        else:
            url = _admin_url(pattern, objects)
            assert url is not None, f"cannot fill the arguments of {pattern.route}"
            targets.append((url, None, pattern))
    for url, row, pattern in targets:
        fuzzer.page(url, row, pattern.callback)

    summary = f"{len(fuzzer.problems)} problems in {fuzzer.requests} requests:\n"
    assert not fuzzer.problems, summary + "\n".join(fuzzer.problems[:60])
