"""axe-core on every page state of the daily journeys, for each role: no serious or critical
violation anywhere (colour contrast, names of controls and fields, landmarks, table headers).

Each test signs in as one role, walks its pages as the journeys do, and checks each state it
reaches; the failure lists every state's violations at once, so one run shows all there is
to fix. Other journeys call the same helper: `from tests.e2e.axe import assert_accessible`.
"""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from appointments.models import AppointmentStatus
from core import roles
from doctors.models import Doctor
from tests.billing.factories import drafted, issued, medication, surgery, visit
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.axe import assert_accessible
from tests.e2e.test_login_journey import PASSWORD, log_in, make_user
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    SpecialtyFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.e2e


class Audit:
    """Runs axe-core on each page state and keeps every failure, to report them all at once."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.failures: list[str] = []
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        self.page.wait_for_load_state()
        self.checked.append(label)
        try:
            assert_accessible(self.page, label)
        except AssertionError as failure:
            self.failures.append(str(failure))

    def visit(self, path: str, label: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{label}: {path} answered {response}"
        self.check(label)

    def assert_clean(self) -> None:
        assert self.failures == [], "\n\n".join(self.failures)


def works_every_day(doctor: Doctor) -> None:
    """Hours on all seven days, so the booking page has free slots whatever day the test runs."""
    for weekday in range(7):
        WorkingHoursFactory(
            doctor=doctor,
            weekday=weekday,
            start_time=datetime.time(8, 0),
            end_time=datetime.time(18, 0),
        )


@pytest.fixture
def hospital(transactional_db, role_groups):
    """Two cardiologists working every day, patients, today's appointments (one checked in),
    and billable history: what the four roles' pages show on an ordinary day."""
    cardiology = SpecialtyFactory(name="Cardiology")
    grace = DoctorFactory(first_name="Grace", last_name="Hopper", specialty=cardiology)
    works_every_day(grace)
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    alan = PatientFactory(first_name="Alan", last_name="Turing")
    AppointmentFactory(doctor=grace, patient=ada, start=today_at(9), reason="Palpitations")
    checked_in_visit(doctor=grace, patient=alan, start=today_at(10))
    AppointmentFactory(
        doctor=grace, patient=alan, start=today_at(11), status=AppointmentStatus.CANCELLED
    )
    MedicationCostFactory(name="Amoxicillin 500 mg", unit_cost=Decimal("4.20"))
    ProcedureFeeFactory(name="Wound suture", fee=Decimal("1250.00"))
    return {"grace": grace, "ada": ada, "alan": alan, "cardiology": cardiology}


def test_it_finds_no_serious_violation_on_the_login_and_two_step_pages(
    page, console_errors, live_server, transactional_db, role_groups
):
    make_user(roles.DOCTOR, "doctor")
    audit = Audit(page)
    audit.visit("/accounts/login/", "login page")
    page.locator("input[name=username]").fill("doctor")
    page.locator("input[name=password]").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    audit.check("login page with an error")

    page.locator("input[name=username]").fill("doctor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile("/accounts/two-step/verify/"))
    audit.check("two-step code page")
    log_in(page, "doctor", PASSWORD)
    audit.visit("/accounts/two-step/", "two-step settings page")
    audit.assert_clean()
    assert console_errors == []


def test_it_finds_no_serious_violation_on_the_front_desk_pages(
    page, console_errors, live_server, hospital
):
    make_user(roles.FRONT_DESK, "frontdesk")
    grace, ada = hospital["grace"], hospital["ada"]
    appointment = grace.appointments.get(patient=ada)
    audit = Audit(page)

    log_in(page, "frontdesk", PASSWORD)
    audit.check("front desk home")
    audit.visit("/patients/", "patient list")
    audit.visit("/patients/?q=Lovelace", "patient search results")
    audit.visit("/patients/?q=nobody-of-that-name", "patient search without results")
    audit.visit(f"/patients/{ada.pk}/", "patient page")

    audit.visit("/patients/new/", "registration form")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator(".invalid-feedback, .is-invalid").first).to_be_visible()
    audit.check("registration form with validation errors")

    audit.visit(f"/appointments/book/?patient={ada.pk}", "booking page")
    page.get_by_role("combobox", name="Doctor").select_option(str(grace.pk))
    expect(page.locator("#slot-picker")).to_contain_text("with Dr Grace Hopper")
    expect(page.locator("input[name=slot]").first).to_be_attached()
    audit.check("booking page with slots")
    page.get_by_role("button", name="First free slot").click()
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    audit.check("booking page with the first free slot chosen")
    page.get_by_label("Reason for the visit").fill("Follow-up")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_role("alert").first).to_contain_text("Booked Ada Lovelace")
    audit.check("day calendar after booking, with its message")

    audit.visit("/appointments/", "day calendar")
    audit.visit("/appointments/week/", "week calendar")
    audit.visit("/appointments/arrivals/", "arrivals")
    audit.visit(f"/appointments/{appointment.pk}/", "appointment page")
    audit.visit(f"/appointments/{appointment.pk}/reschedule/", "reschedule page")
    audit.visit("/reports/", "reports list (front desk)")
    audit.visit("/reports/appointments/", "appointments report")

    # A phone: the menu folds behind its button, tables and forms stack.
    page.set_viewport_size({"width": 390, "height": 844})
    audit.visit("/appointments/arrivals/", "arrivals on a phone")
    audit.visit(f"/appointments/book/?patient={ada.pk}", "booking page on a phone")
    page.get_by_role("button", name="Toggle navigation").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients")
    ).to_be_visible()
    audit.check("the menu opened on a phone")
    audit.assert_clean()
    assert console_errors == []


def test_it_finds_no_serious_violation_on_the_doctor_pages(
    page, console_errors, live_server, hospital
):
    user = make_user(roles.DOCTOR, "doctor")
    doctor = Doctor.objects.get(user=user)
    works_every_day(doctor)
    ada = hospital["ada"]
    checked_in_visit(doctor=doctor, patient=ada, start=today_at(12))
    AppointmentFactory(doctor=doctor, start=today_at(15), reason="Follow-up")
    audit = Audit(page)

    log_in(page, "doctor", PASSWORD)
    audit.check("doctor home")
    audit.visit("/clinical/day/", "doctor's day")
    page.get_by_role("button", name=re.compile("^Start visit")).first.click()
    expect(page).to_have_url(re.compile(r"/clinical/visits/\d+/$"))
    audit.check("visit page")
    page.get_by_role("combobox", name=re.compile(r"^Medication")).select_option(
        label="Amoxicillin 500 mg"
    )
    page.get_by_role("button", name="Add medication").click()
    expect(page.get_by_test_id("patient-header")).to_contain_text("Ada Lovelace")
    audit.check("visit page with a medication")
    audit.visit(f"/clinical/patients/{ada.pk}/", "chart")
    audit.visit("/appointments/week/", "doctor's week calendar")
    audit.visit("/reports/doctor-workload/", "doctor's workload report")
    audit.assert_clean()
    assert console_errors == []


def test_it_finds_no_serious_violation_on_the_billing_pages(
    page, console_errors, live_server, hospital
):
    make_user(roles.BILLING_CLERK, "billing")
    ready = PatientFactory(first_name="Mary", last_name="Somerville")
    medication(ready, "Amoxicillin 500 mg", quantity=2)
    surgery(ready, "Wound suture")
    visit(ready, fee="80.00")
    draft = drafted(hospital["ada"])
    unpaid = issued(hospital["alan"])
    audit = Audit(page)

    log_in(page, "billing", PASSWORD)
    audit.check("billing home")
    audit.visit("/billing/", "ready to bill")
    audit.visit(f"/billing/patients/{ready.pk}/", "a patient's billable items")
    audit.visit("/billing/invoices/", "invoice list")
    audit.visit(f"/billing/invoices/{draft.pk}/", "draft invoice")
    audit.visit(f"/billing/invoices/{unpaid.pk}/", "issued invoice")
    audit.visit("/billing/prices/", "price lists")
    audit.visit("/billing/cashier/", "cashier's day")
    audit.visit("/reports/", "reports list (billing)")
    audit.visit("/reports/revenue/", "revenue report")
    audit.visit("/reports/patient-bills/", "patient bills report")
    audit.assert_clean()
    assert console_errors == []


def test_it_finds_no_serious_violation_on_the_administrator_pages(
    page, console_errors, live_server, hospital
):
    make_user(roles.ADMINISTRATOR, "admin")
    audit = Audit(page)

    log_in(page, "admin", PASSWORD)
    audit.check("administrator home")
    audit.visit("/reports/", "reports list (administrator)")
    for name in (
        "appointments",
        "doctor-workload",
        "patient-health",
        "demographics",
        "appointment-patterns",
    ):
        audit.visit(f"/reports/{name}/", f"{name} report")
    audit.visit("/imports/", "import upload page")
    audit.visit("/imports/format/", "workbook format page")
    audit.visit("/doctors/hours/", "doctors' hours")
    audit.visit(f"/doctors/{hospital['grace'].pk}/schedule/", "a doctor's schedule")
    audit.visit("/clinical/audit/", "audit log")
    audit.visit("/accounts/two-step/staff/", "staff sign-in list")
    audit.visit("/appointments/", "day calendar (administrator)")
    audit.assert_clean()
    assert console_errors == []
