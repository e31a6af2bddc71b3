"""A front-desk morning in a real browser: register a patient, book the first free slot with
a doctor, find the visit on the day calendar, check the patient in on arrival."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus
from hms import roles
from patients.models import Patient
from tests.factories import DoctorFactory, SpecialtyFactory, UserFactory, WorkingHoursFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default


def field(label: str) -> re.Pattern[str]:
    """A form label, with crispy's "*" on required fields."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def doctor_all_day(transactional_db, role_groups):
    """A doctor working every day from midnight to 23:30 in 30-minute slots, so the first
    free slot is always later today (unless the test starts in the last hour of the day)."""
    if timezone.localtime().time() >= datetime.time(22, 55):
        pytest.skip("too close to midnight for a same-day booking and check-in")
    doctor = DoctorFactory(
        first_name="Grace", last_name="Hopper", specialty=SpecialtyFactory(name="Cardiology")
    )
    for weekday in range(7):
        WorkingHoursFactory(
            doctor=doctor,
            weekday=weekday,
            start_time=datetime.time(0, 0),
            end_time=datetime.time(23, 30),
            valid_from=datetime.date(2020, 1, 1),
        )
    return doctor


def test_it_registers_books_finds_and_checks_in_a_patient(
    page, console_errors, live_server, doctor_all_day
):
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    log_in(page, "frontdesk")

    # Register.
    page.get_by_role("navigation").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label(field("First name")).fill("Ada")
    page.get_by_label(field("Last name")).fill("Byron")
    page.get_by_label(field("Date of birth")).fill("1985-12-10")
    page.get_by_label(field("Sex")).select_option("female")
    page.get_by_label(field("Phone")).fill("+44 20 7946 0001")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("h1")).to_have_text("Ada Byron")
    patient = Patient.objects.get(last_name="Byron")
    expect(page.get_by_test_id("mrn")).to_have_text(patient.mrn)

    # Book the first free slot with the doctor (the slot picker answers through htmx).
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_test_id("booking-patient")).to_contain_text("Ada Byron")
    page.get_by_role("combobox", name="Doctor").select_option(str(doctor_all_day.pk))
    expect(page.locator("#slot-picker")).to_contain_text("with Dr Grace Hopper")
    page.get_by_role("button", name="First free slot").click()
    expect(page.get_by_test_id("first-free")).to_be_visible()
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    page.get_by_label("Reason for the visit").fill("Palpitations")
    page.get_by_role("button", name="Book appointment").click()

    # The day calendar shows it.
    appointment = Appointment.objects.get(patient=patient)
    expect(page.get_by_role("alert").first).to_contain_text("Booked Ada Byron with Dr Grace Hopper")
    cell = page.locator(f"#appointment-{appointment.pk}")
    expect(cell).to_contain_text("Byron, Ada")
    expect(page.get_by_role("columnheader", name=re.compile("Dr Grace Hopper"))).to_be_visible()

    # The patient arrives.
    page.get_by_role("navigation").get_by_role("link", name="Arrivals").click()
    page.get_by_role("button", name="Check in Ada Byron").click()
    row = page.locator(f"#arrival-{appointment.pk}")
    expect(row).to_contain_text("Checked in")
    expect(page.get_by_role("button", name="Check in Ada Byron")).to_have_count(0)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert appointment.attendance.checked_in_by.username == "frontdesk"
    assert console_errors == []
