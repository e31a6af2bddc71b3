"""Who gets which page: every named URL of the project × every role, in one table.

DESIGN.md's Roles table, as the pages answer it: 200 (or the page's own redirect), 302 to the
login page for anonymous visitors, 403 for a role without the right, 404 for a missing record,
405 for a GET on a state change. A state change (POST) is tried by every role too: a refused
one gets 403 and leaves the database exactly as it was. A URL pattern missing from the table
fails `test_it_lists_every_named_url_of_the_project`, so a new page cannot escape the table.

Rules that a status cannot show (what a page hides from a role, a doctor's own timetable, the
roles' permissions) are in tests/hms/test_access_rules.py and tests/core/test_roles.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from appointments.queue_services import queue_call_next
from appointments.services import appointment_check_in
from billing.cashier import cashier_day_close
from billing.services import credit_note_issue
from billing.services.batches import invoice_batch_build, invoice_batch_request
from clinical.models import Prescription, PrescriptionLine
from clinical.vitals_models import VitalObservation, VitalsReading
from core import roles
from fhir.services import api_token_create
from imports.models import UploadStatus, WorkbookUpload
from reports.registry import REPORTS
from tests.appointments import waitlist_factories
from tests.billing.conftest import fast_pdf  # noqa: F401 (a fixture the billing rows use)
from tests.billing.factories import drafted, issued, surgery
from tests.clinical.factories import MedicationGivenFactory, checked_in_visit, today_at
from tests.factories import (
    AppointmentFactory,
    AuditEventFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    TimeOffFactory,
    UserFactory,
    WorkingHoursFactory,
)
from tests.hms import fuzz
from tests.hms.url_table import (
    ADMIN_LOGIN,
    DENIED,
    FOUND,
    LOGGED_OUT,
    LOGIN,
    MISSING,
    NOT_ALLOWED,
    OK,
    ROLES,
    ROWS,
    Row,
)

pytestmark = pytest.mark.django_db

# --- The objects the rows name, made on first use --------------------------------------------


def _own_doctor(objects: Objects):
    return objects.fixture("doctor").doctor


# The own doctor's other visits today (below): the visit under way at 09:00, the patient
# waiting at 11:00, the token at 12:00; each half an hour.
_OWN_DAY = (9, 11, 12)


def _appointment(objects: Objects):
    # Started an hour ago or a little more: the desk may check the patient in or mark a
    # no-show; never at the time of the own doctor's other visits today, whatever the hour
    # the tests run.
    now = timezone.now()
    taken = [(today_at(hour), today_at(hour, 30)) for hour in _OWN_DAY]
    for minutes in range(60, 60 * 5, 30):
        start = now - datetime.timedelta(minutes=minutes)
        end = start + datetime.timedelta(minutes=30)
        if not any(start < busy_end and busy_start < end for busy_start, busy_end in taken):
            break
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


def _observation(visit):
    """A pulse taken at the visit: its FHIR Observation row."""
    reading = VitalsReading.objects.create(attendance=visit, taken_at=timezone.now(), pulse=72)
    return VitalObservation.objects.get(reading=reading)


def _prescription_line(visit):
    prescription = Prescription.objects.create(attendance=visit)
    return PrescriptionLine.objects.create(
        prescription=prescription,
        drug_name="Paracetamol",
        dose=500,
        dose_unit="mg",
        route="oral",
        frequency="qid",
        duration_days=3,
        quantity=12,
    )


def _staff_member(objects: Objects):
    user = UserFactory(username="staffmember")
    TOTPDevice.objects.create(user=user, name="Authenticator app")
    return user


OBJECTS: dict[str, Callable[[Objects], Any]] = {
    "patient": lambda o: PatientFactory(),
    "own_doctor": _own_doctor,
    "own_doctor_code": lambda o: SimpleNamespace(pk=o["own_doctor"].code),  # ?doctor=CODE
    "specialty": lambda o: o["own_doctor"].specialty,
    "hours": lambda o: WorkingHoursFactory(doctor=o["own_doctor"]),
    "time_off": lambda o: TimeOffFactory(doctor=o["own_doctor"]),
    "appointment": _appointment,
    "waiting_appointment": lambda o: (
        checked_in_visit(doctor=o["own_doctor"], start=today_at(11)).appointment
    ),
    "visit": lambda o: checked_in_visit(doctor=o["own_doctor"], patient=o["patient"], started=True),
    # Checked in at the desk (a token of the doctor's queue), and that token called.
    "token_appointment": lambda o: appointment_check_in(
        appointment=AppointmentFactory(
            doctor=o["own_doctor"], start=today_at(12), end=today_at(12, 30)
        ),
        by=None,
    ),
    "called_token": lambda o: (
        o["token_appointment"] and queue_call_next(doctor=o["own_doctor"], by=None)
    ),
    "item": lambda o: MedicationGivenFactory(attendance=o["visit"]),
    "rx_line": lambda o: _prescription_line(o["visit"]),
    "rx_visit": lambda o: o["rx_line"].prescription.attendance,
    "observation": lambda o: _observation(o["visit"]),
    "entry": lambda o: MedicalHistoryFactory(patient=o["patient"]),  # a condition
    "surgery_entry": lambda o: MedicalHistoryFactory(
        patient=o["patient"], kind="surgery", description="Cast"
    ),
    "medication_entry": lambda o: MedicalHistoryFactory(
        patient=o["patient"], kind="medication", description="Aspirin"
    ),
    "allergy_entry": lambda o: MedicalHistoryFactory(
        patient=o["patient"], kind="allergy", description="Penicillin"
    ),
    "billed_patient": _billed_patient,
    "draft": lambda o: drafted(o["billed_patient"]),
    "line": lambda o: o["draft"].lines.first(),
    "invoice": lambda o: issued(PatientFactory()),
    "credit_note": lambda o: credit_note_issue(
        invoice=issued(PatientFactory()), reason="x", by=None
    ),
    "batch": lambda o: _ready_batch(),
    "day_close": lambda o: cashier_day_close(
        cashier=UserFactory(role=roles.BILLING_CLERK), day=timezone.localdate(), by=None
    ),
    "medication": lambda o: MedicationCostFactory(),
    "procedure": lambda o: ProcedureFeeFactory(),
    "upload": _upload,
    "missing": lambda o: SimpleNamespace(pk=999_999),
    "waiter": lambda o: waitlist_factories.waiter(),
    "waitlist_offer": lambda o: waitlist_factories.open_offer(),
    "staff_member": _staff_member,
    "audit_event": lambda o: AuditEventFactory(),
    "api_token": lambda o: api_token_create(
        user=o.fixture("front_desk"), name="Lab", lifetime_days=90, by=None
    )[0],
}


def _ready_batch():
    """A batch of two invoices, printed by its job, asked for by another clerk."""
    batch = invoice_batch_request(
        ids=[issued(PatientFactory()).pk, issued(PatientFactory()).pk],
        by=UserFactory(role=roles.BILLING_CLERK),
    )
    invoice_batch_build(batch_id=batch.pk)
    return batch


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

    def __missing__(self, name: str) -> int | str:
        if name == "today":
            return f"{timezone.localdate():%Y-%m-%d}"
        return self._objects[name].pk


@pytest.fixture
def objects(request, fast_pdf) -> Objects:  # noqa: F811 (fast_pdf: see the import)
    return Objects(request)


def _client(request, client, role: str):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _assert_outcome(response, expected: int | str) -> None:
    if expected in (LOGIN, LOGGED_OUT):
        assert response.status_code == 302, response.status_code
        assert response.url.startswith(reverse("login")), response.url
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.url.startswith(reverse("admin:login")), response.url
    else:
        assert response.status_code == expected, response.status_code
        if expected == FOUND:
            assert not response.url.startswith((reverse("login"), reverse("admin:login")))


def _database() -> dict[str, str]:
    """A digest of every row of the project's tables (the audit log's whole): a refused request
    must leave all of them as they were."""
    return fuzz.database_fingerprint(every_audit_row=True)


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
    data = objects.data(row)  # the objects it names made first: they are not the POST's doing
    before = _database()

    response = client.post(url, data)

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
