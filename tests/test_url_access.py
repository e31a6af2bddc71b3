"""Who gets which page: every named URL of the project × every role, in one table.

DESIGN.md's Roles table, as the pages answer it: 200 (or the page's own redirect), 302 to the
login page for anonymous visitors, 403 for a role without the right, 404 for a missing record,
405 for a GET on a state change. A state change (POST) is tried by every role too: a refused
one gets 403 and leaves the database exactly as it was. A URL pattern missing from the table
fails `test_it_lists_every_named_url_of_the_project`, so a new page cannot escape the table.

Rules that a status cannot show (what a page hides from a role, a doctor's own timetable, the
roles' permissions) are in tests/test_access_rules.py and tests/test_roles.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from imports.models import UploadStatus, WorkbookUpload
from reports.registry import REPORTS
from tests.billing.conftest import fast_pdf  # noqa: F401 (a fixture the billing rows use)
from tests.billing.factories import drafted, issued, surgery
from tests.clinical.factories import MedicationGivenFactory, checked_in_visit, today_at
from tests.factories import (
    AppointmentFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    TimeOffFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "front_desk",
    "doctor",
    "other_doctor",
    "billing_clerk",
    "admin_user",
    "outsider",
)

# Expected outcomes besides plain status codes.
LOGIN = "302 to the login page"
ADMIN_LOGIN = "302 to the admin's login page"
OK, FOUND, BAD, DENIED, MISSING, NOT_ALLOWED = 200, 302, 400, 403, 404, 405


def expect(default: int | str = DENIED, *, anonymous: int | str = LOGIN, **roles: int | str):
    """Every role's outcome: `default` unless named (anonymous visitors: to the login page)."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {"anonymous": anonymous} | {role: roles.get(role, default) for role in ROLES[1:]}


# Who may, in DESIGN.md's words; `doctor` owns the objects of the table, `other_doctor` not.
EVERY_ROLE = dict(front_desk=OK, doctor=OK, other_doctor=OK, billing_clerk=OK, admin_user=OK)
DESK = dict(front_desk=OK, admin_user=OK)
CLINICIANS = dict(doctor=OK, other_doctor=OK, admin_user=OK)
BILLING = dict(billing_clerk=OK, admin_user=OK)
INVOICE_VIEWERS = dict(front_desk=OK, billing_clerk=OK, admin_user=OK)
ADMIN = dict(admin_user=OK)


def allowed(roles: dict[str, int], status: int | str = OK) -> dict[str, int | str]:
    """The same roles, with another outcome (a POST that redirects, a form shown again)."""
    return {role: status for role in roles}


# A GET on a state change: refused by method, before any right is looked at.
POST_ONLY = expect(NOT_ALLOWED)


@dataclass(frozen=True)
class Row:
    name: str
    get: dict[str, int | str]
    args: tuple[str, ...] = ()  # objects (see OBJECTS) whose pk fills the URL's arguments
    literal: tuple[str, ...] = ()  # or literal arguments
    query: str = ""  # "{name}" stands for an object's pk
    post: dict[str, int | str] | None = None  # a state change: every role's POST outcome
    data: dict[str, str] = field(default_factory=dict)  # "{name}" as in `query`
    label: str = ""  # tells apart two rows of one URL
    check: Callable[[Any], None] | None = None  # more about a 200 answer

    @property
    def id(self) -> str:
        return f"{self.name}{'[' + self.label + ']' if self.label else ''}"


def _csv(response) -> None:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]


def _pdf(response) -> None:
    assert response["Content-Type"] == "application/pdf"


REPORT_ROLES = {
    "front_desk": {"appointments", "appointment-patterns"},
    "doctor": {"appointments", "doctor-workload"},
    "other_doctor": {"appointments", "doctor-workload"},
    "billing_clerk": {"patient-bills", "revenue"},
    "admin_user": set(REPORTS),
}


def _report_rows(name: str) -> list[Row]:
    who = expect(**{role: OK for role, names in REPORT_ROLES.items() if name in names})

    def named_csv(response) -> None:
        _csv(response)
        assert f'filename="{name}' in response["Content-Disposition"]

    return [
        Row("reports:report_detail", who, literal=(name,), label=name),
        Row("reports:report_csv", who, literal=(name,), label=name, check=named_csv),
    ]


BILLING_FORM = {
    "reason": "Entered twice",
    "amount": "1.00",
    "method": "cash",
    "received_on": "2024-07-01",
    "description": "Copy of records",
    "kind": "other",
    "confirm_unpriced": "on",
}

ROWS: list[Row] = [
    # --- Accounts and the home page ----------------------------------------------------------
    Row("home", expect(**EVERY_ROLE)),
    Row("login", expect(OK, anonymous=OK)),
    Row("logout", expect(NOT_ALLOWED), post=expect(LOGIN)),
    Row("password_change", expect(OK)),
    Row("password_change_done", expect(OK)),
    Row("password_reset", expect(OK, anonymous=OK)),
    Row("password_reset_done", expect(OK, anonymous=OK)),
    Row("password_reset_confirm", expect(OK, anonymous=OK), literal=("MQ", "no-such-token")),
    Row("password_reset_complete", expect(OK, anonymous=OK)),
    # --- Patients: every role views demographics; the desk registers and changes them --------
    Row("patients:patient_list", expect(**EVERY_ROLE)),
    Row("patients:patient_detail", expect(**EVERY_ROLE), args=("patient",)),
    Row("patients:patient_create", expect(**DESK), post=expect(**DESK)),
    Row("patients:patient_update", expect(**DESK), args=("patient",), post=expect(**DESK)),
    Row(
        "patients:patient_deactivate",
        expect(**DESK),
        args=("patient",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "patients:patient_reactivate",
        POST_ONLY,
        args=("patient",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # --- Doctors' timetables: the desk edits; a doctor views their own -----------------------
    Row("doctors:schedule_list", expect(front_desk=OK, doctor=OK, other_doctor=OK, admin_user=OK)),
    Row(
        "doctors:doctor_schedule",
        expect(front_desk=OK, doctor=OK, admin_user=OK),
        args=("own_doctor",),
    ),
    Row(
        "doctors:doctor_schedule",
        expect(MISSING, billing_clerk=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "doctors:working_hours_create",
        expect(**DESK),
        args=("own_doctor",),
        post=expect(**DESK),
    ),
    Row("doctors:working_hours_edit", expect(**DESK), args=("hours",), post=expect(**DESK)),
    Row(
        "doctors:working_hours_delete",
        expect(**DESK),
        args=("hours",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row("doctors:time_off_create", expect(**DESK), args=("own_doctor",), post=expect(**DESK)),
    Row(
        "doctors:time_off_delete",
        expect(**DESK),
        args=("time_off",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    # --- Appointments: everyone views; the desk moves; a doctor marks their own no-shows -----
    Row("appointments:calendar_day", expect(**EVERY_ROLE)),
    Row("appointments:calendar_week", expect(**EVERY_ROLE)),
    Row("appointments:arrivals", expect(**EVERY_ROLE)),
    Row("appointments:appointment_detail", expect(**EVERY_ROLE), args=("appointment",)),
    Row(
        "appointments:appointment_detail",
        expect(MISSING, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "appointments:appointment_book",
        expect(**DESK),
        query="?patient={patient}",
        post=expect(**DESK),
        data={"patient": "{patient}", "action": "show"},
    ),
    # Without a patient, booking starts from the patient search.
    Row("appointments:appointment_book", expect(**allowed(DESK, FOUND)), label="no patient"),
    Row("appointments:slot_picker", expect(**DESK), query="?specialty={specialty}"),
    Row(
        "appointments:appointment_reschedule",
        expect(**DESK),
        args=("appointment",),
        post=expect(**DESK),
    ),
    Row(
        "appointments:appointment_cancel",
        expect(**DESK),
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
        data={"reason": "Patient called"},
    ),
    Row(
        "appointments:appointment_check_in",
        POST_ONLY,
        args=("appointment",),
        post=expect(**allowed(DESK, FOUND)),
    ),
    Row(
        "appointments:appointment_no_show",
        POST_ONLY,
        args=("appointment",),
        post=expect(front_desk=FOUND, doctor=FOUND, admin_user=FOUND),
    ),
    # --- Clinical: doctors read every chart; only a visit's own doctor runs it ---------------
    Row("clinical:doctor_day", expect(**CLINICIANS)),
    Row("clinical:chart", expect(**CLINICIANS), args=("patient",)),
    # Refused before the lookup: a role without the chart cannot probe which patients exist.
    Row(
        "clinical:chart",
        expect(MISSING, front_desk=DENIED, billing_clerk=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row(
        "clinical:history_create",
        expect(**CLINICIANS),
        args=("patient",),
        query="?kind=allergy",
        post=expect(**allowed(CLINICIANS, FOUND)),
        data={"description": "Penicillin", "recorded_on": "2024-01-01"},
    ),
    Row(
        "clinical:billable_items",
        expect(**CLINICIANS, billing_clerk=OK),
        args=("patient",),
    ),
    Row("clinical:patient_access_log", expect(**ADMIN), args=("patient",)),
    Row(
        "clinical:history_correct",
        expect(**CLINICIANS),
        args=("entry",),
        post=expect(**CLINICIANS),
    ),
    Row("clinical:history_revisions", expect(**CLINICIANS), args=("entry",)),
    Row(
        "clinical:visit_start",
        POST_ONLY,
        args=("waiting_appointment",),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    # Every doctor reads a visit; only its own doctor (or an administrator) records it.
    Row(
        "clinical:visit_record",
        expect(**CLINICIANS),
        args=("visit",),
        post=expect(doctor=FOUND, admin_user=FOUND),
        data={"diagnosis": "Sprain"},
    ),
    Row(
        "clinical:visit_item_add",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=FOUND, admin_user=FOUND),
        data={"kind": "surgery", "proc-description": "Splint"},
    ),
    Row(
        "clinical:visit_item_remove",
        POST_ONLY,
        args=("visit", "item"),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    Row(
        "clinical:visit_complete",
        POST_ONLY,
        args=("visit",),
        post=expect(doctor=FOUND, admin_user=FOUND),
    ),
    Row("clinical:audit_list", expect(**ADMIN)),
    # --- Billing: clerks and administrators bill; the desk views and prints invoices ---------
    Row("billing:ready_to_bill", expect(**BILLING)),
    Row("billing:patient_billable", expect(**BILLING), args=("billed_patient",)),
    Row(
        "billing:invoice_draft_create",
        POST_ONLY,
        args=("billed_patient",),
        post=expect(**allowed(BILLING, FOUND)),
    ),
    Row("billing:invoice_list", expect(**INVOICE_VIEWERS)),
    Row(
        "billing:invoice_batch_pdf",
        expect(**INVOICE_VIEWERS),
        query="?ids={invoice}",
        check=_pdf,
    ),
    Row("billing:invoice_detail", expect(**INVOICE_VIEWERS), args=("invoice",)),
    Row("billing:invoice_detail", expect(**INVOICE_VIEWERS), args=("draft",), label="draft"),
    Row(
        "billing:invoice_detail",
        expect(MISSING, doctor=DENIED, other_doctor=DENIED, outsider=DENIED),
        args=("missing",),
        label="missing",
    ),
    Row("billing:invoice_pdf", expect(**INVOICE_VIEWERS), args=("invoice",), check=_pdf),
    Row("billing:invoice_print", expect(**INVOICE_VIEWERS), args=("invoice",)),
    *[
        Row(
            f"billing:{name}",
            POST_ONLY,
            args=args,
            post=expect(**allowed(BILLING, FOUND)),
            data=BILLING_FORM,
        )
        for name, args in [
            ("invoice_draft_refresh", ("draft",)),
            ("invoice_draft_update", ("draft",)),
            ("invoice_draft_delete", ("draft",)),
            ("invoice_line_create", ("draft",)),
            ("invoice_line_delete", ("draft", "line")),
            ("invoice_issue", ("draft",)),
            ("invoice_void", ("invoice",)),
            ("payment_create", ("invoice",)),
        ]
    ],
    Row("billing:price_list", expect(**INVOICE_VIEWERS, doctor=OK, other_doctor=OK)),
    Row("billing:medicationcost_create", expect(**BILLING), post=expect(**BILLING)),
    Row(
        "billing:medicationcost_update",
        expect(**BILLING),
        args=("medication",),
        post=expect(**BILLING),
    ),
    Row("billing:procedurefee_create", expect(**BILLING), post=expect(**BILLING)),
    Row(
        "billing:procedurefee_update",
        expect(**BILLING),
        args=("procedure",),
        post=expect(**BILLING),
    ),
    # The desk reads the settings; only billing changes them.
    Row("billing:settings_edit", expect(**INVOICE_VIEWERS), post=expect(**BILLING)),
    # --- Imports: administrators only ---------------------------------------------------------
    Row("imports:upload", expect(**ADMIN), post=expect(**ADMIN)),
    Row("imports:upload_detail", expect(**ADMIN), args=("upload",)),
    Row("imports:upload_problems", expect(**ADMIN), args=("upload",), check=_csv),
    Row(
        "imports:upload_confirm",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row(
        "imports:upload_discard",
        POST_ONLY,
        args=("upload",),
        post=expect(**allowed(ADMIN, FOUND)),
    ),
    Row("imports:workbook_format", expect(**ADMIN)),
    Row("imports:sample_workbook", expect(**ADMIN)),
    # --- Reports: each role its own (the registry's roles) -----------------------------------
    Row("reports:report_list", expect(**EVERY_ROLE)),
    *[row for name in REPORTS for row in _report_rows(name)],
    Row(
        "reports:report_detail",
        expect(MISSING),
        literal=("no-such-report",),
        label="missing",
    ),
    # --- Django's admin: administrators only; nobody writes the audit log ---------------------
    # Django's admin index names its own login page, so anonymous visitors land there; the
    # admin's model pages go through the site's login first.
    Row("admin:index", expect(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, admin_user=OK)),
    *[
        Row(name, expect(ADMIN_LOGIN, admin_user=status))
        for name, status in [
            ("admin:patients_patient_changelist", OK),
            ("admin:patients_medicalhistory_changelist", OK),
            ("admin:billing_invoice_changelist", OK),
            ("admin:auth_user_changelist", OK),
            ("admin:core_auditevent_changelist", OK),
            ("admin:core_auditevent_add", DENIED),
        ]
    ],
]


# --- The objects the rows name, made on first use --------------------------------------------


def _own_doctor(objects: Objects):
    return objects.fixture("doctor").doctor


def _appointment(objects: Objects):
    # Started an hour ago: the desk may check the patient in or mark a no-show.
    start = timezone.now() - datetime.timedelta(hours=1)
    return AppointmentFactory(
        doctor=objects["own_doctor"],
        patient=objects["patient"],
        start=start,
        end=start + datetime.timedelta(minutes=30),
    )


def _billed_patient(objects: Objects):
    patient = PatientFactory()
    surgery(patient, "Cast")
    return patient


def _upload(objects: Objects):
    return WorkbookUpload.objects.create(
        uploaded_by=UserFactory(username="uploader"),
        original_name="hospital.xlsx",
        folder="0" * 32,
        workbook_file="hospital.xlsx",
        size_bytes=1,
        sha256="0" * 64,
        status=UploadStatus.CHECKED,
        report={"check": {"errors": [], "warnings": [["Patient", 2, "Age", "Estimated"]]}},
    )


OBJECTS: dict[str, Callable[[Objects], Any]] = {
    "patient": lambda o: PatientFactory(),
    "own_doctor": _own_doctor,
    "specialty": lambda o: o["own_doctor"].specialty,
    "hours": lambda o: WorkingHoursFactory(doctor=o["own_doctor"]),
    "time_off": lambda o: TimeOffFactory(doctor=o["own_doctor"]),
    "appointment": _appointment,
    "waiting_appointment": lambda o: (
        checked_in_visit(doctor=o["own_doctor"], start=today_at(11)).appointment
    ),
    "visit": lambda o: checked_in_visit(doctor=o["own_doctor"], patient=o["patient"], started=True),
    "item": lambda o: MedicationGivenFactory(attendance=o["visit"]),
    "entry": lambda o: MedicalHistoryFactory(patient=o["patient"]),
    "billed_patient": _billed_patient,
    "draft": lambda o: drafted(o["billed_patient"]),
    "line": lambda o: o["draft"].lines.first(),
    "invoice": lambda o: issued(PatientFactory()),
    "medication": lambda o: MedicationCostFactory(),
    "procedure": lambda o: ProcedureFeeFactory(),
    "upload": _upload,
    "missing": lambda o: SimpleNamespace(pk=999_999),
}


class Objects:
    """The rows' objects, each made on first use: a row pays only for what it names."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._made: dict[str, Any] = {}

    def fixture(self, name: str) -> Any:
        return self._request.getfixturevalue(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = OBJECTS[name](self)
        return self._made[name]

    def url(self, row: Row) -> str:
        args = [self[name].pk for name in row.args] + list(row.literal)
        query = row.query.format_map(_Pks(self))
        return reverse(row.name, args=args) + query

    def data(self, row: Row) -> dict[str, str]:
        return {key: value.format_map(_Pks(self)) for key, value in row.data.items()}


class _Pks(dict):
    def __init__(self, objects: Objects) -> None:
        super().__init__()
        self._objects = objects

    def __missing__(self, name: str) -> int:
        return self._objects[name].pk


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """The role fixtures' users are made for each case; a slow hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def objects(request, fast_pdf) -> Objects:  # noqa: F811 (fast_pdf: see the import)
    return Objects(request)


def _client(request, client, role: str):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _assert_outcome(response, expected: int | str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.url.startswith(reverse("login")), response.url
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.url.startswith(reverse("admin:login")), response.url
    else:
        assert response.status_code == expected, response.status_code
        if expected == FOUND:
            assert not response.url.startswith((reverse("login"), reverse("admin:login")))


def _database() -> dict[str, list[tuple]]:
    """Every row of the project's tables: a refused request must leave all of them as they were."""
    tables = {}
    for label in ("core", "patients", "doctors", "appointments", "billing", "clinical", "imports"):
        for model in apps.get_app_config(label).get_models():
            tables[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return tables


GET_CASES = [pytest.param(row, role, id=f"{row.id}-{role}") for row in ROWS for role in ROLES]
POST_CASES = [
    pytest.param(row, role, id=f"{row.id}-{role}")
    for row in ROWS
    if row.post is not None
    for role in ROLES
]


@pytest.mark.parametrize(("row", "role"), GET_CASES)
def test_it_answers_each_role_as_the_table_says(request, client, objects, row, role):
    url = objects.url(row)
    response = _client(request, client, role).get(url)

    _assert_outcome(response, row.get[role])
    if response.status_code == OK and row.check:
        row.check(response)


@pytest.mark.parametrize(("row", "role"), POST_CASES)
def test_it_lets_only_the_tables_roles_change_anything(request, client, objects, row, role):
    url = objects.url(row)
    client = _client(request, client, role)
    expected = row.post[role]
    before = _database()

    response = client.post(url, objects.data(row))

    _assert_outcome(response, expected)
    if expected in (LOGIN, ADMIN_LOGIN, DENIED, MISSING, NOT_ALLOWED):
        assert _database() == before


# --- The table lists every page ----------------------------------------------------------------


def _named_urls(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_it_lists_every_named_url_of_the_project():
    """The admin's many model pages are covered by the admin rows; every other URL has its own."""
    urls = {name for name in _named_urls() if not name.startswith("admin:")}
    listed = {row.name for row in ROWS if not row.name.startswith("admin:")}

    assert urls - listed == set(), "pages missing from ROWS"
    assert listed - urls == set(), "rows of pages that no longer exist"
    assert {"admin:index", "admin:core_auditevent_add"} <= {row.name for row in ROWS}


def test_it_lists_every_report():
    listed = {row.literal[0] for row in ROWS if row.name == "reports:report_csv"}
    assert listed == set(REPORTS)


def test_it_lists_every_role_in_every_row():
    for row in ROWS:
        assert set(row.get) == set(ROLES), row.id
        assert row.post is None or set(row.post) == set(ROLES), row.id
