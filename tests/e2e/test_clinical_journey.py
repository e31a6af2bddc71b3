"""A clinic day in a real browser: from the doctor's day to a completed visit on the chart."""

import re

import pytest
from playwright.sync_api import Page, expect

from appointments.models import AppointmentStatus
from core import roles
from patients.models import HistoryKind
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.second_factor import complete_sign_in
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


def log_out(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_it_runs_a_visit_from_the_day_to_the_chart(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    AppointmentFactory(doctor=doctor, start=today_at(8), reason="Not arrived")
    first = checked_in_visit(doctor=doctor, patient=ada, start=today_at(9))
    checked_in_visit(doctor=doctor, patient=PatientFactory(first_name="Bob"), start=today_at(10))
    MedicationCostFactory(name="Amoxicillin 500 mg")
    ProcedureFeeFactory(name="Wound suture")
    chart_path = f"/clinical/patients/{ada.pk}/"

    # The doctor opens the day and starts the first checked-in visit.
    log_in(page, "doctor")
    expect(page.locator("h1")).to_have_text("My day")
    expect(page.get_by_text("Checked in and waiting")).to_be_visible()
    axe("doctor's day with patients waiting")
    page.get_by_role("button", name=re.compile("^Start visit")).first.click()
    expect(page).to_have_url(re.compile(rf"/clinical/visits/{first.pk}/$"))
    expect(page.get_by_test_id("patient-header")).to_contain_text("Ada Lovelace")

    # A medication from the price list, with a quantity, and a procedure from the list.
    page.get_by_role("combobox", name=re.compile(r"^Medication")).select_option(
        label="Amoxicillin 500 mg"
    )
    page.get_by_role("spinbutton", name=re.compile(r"^Quantity\s*\*?$")).fill("2")
    # Each is added in place: its section says so (the page itself stays as it was).
    page.get_by_role("button", name="Add medication").click()
    expect(page.get_by_test_id("visit-section-medication").get_by_role("status")).to_contain_text(
        "Added: Amoxicillin 500 mg × 2"
    )
    page.get_by_label("Surgery or procedure from the list").select_option(label="Wound suture")
    page.get_by_role("button", name="Add procedure").click()
    expect(page.get_by_test_id("visit-section-surgery").get_by_role("status")).to_contain_text(
        "Added: Wound suture"
    )
    axe("visit page with a medication and a procedure added")

    # Notes, then complete: the notes travel with the "Complete visit" button.
    page.get_by_label("Concerns (in the patient's words)").fill("Cut on the left hand")
    page.get_by_label("Diagnosis", exact=True).fill("Laceration of the hand")
    page.get_by_role("button", name="Complete visit").click()

    # The chart shows both, as history entries of the visit.
    expect(page).to_have_url(re.compile(rf"{chart_path}$"))
    expect(page.get_by_role("alert")).to_contain_text("Visit of Ada Lovelace completed")
    medications = page.locator("#medication")
    expect(medications).to_contain_text("Amoxicillin 500 mg")
    expect(page.locator("#surgery")).to_contain_text("Wound suture")
    expect(page.locator("#condition")).to_contain_text("Laceration of the hand")
    expect(page.get_by_test_id("visits")).to_contain_text("Cut on the left hand")
    expect(page.get_by_test_id("distinct-medications")).to_have_text("1")
    expect(page.get_by_test_id("distinct-surgeries")).to_have_text("1")
    axe("chart after the visit")

    first.refresh_from_db()
    first.appointment.refresh_from_db()
    assert first.appointment.status == AppointmentStatus.COMPLETED
    billable = first.history_entries.filter(is_billable=True).order_by("kind")
    assert [(e.kind, e.description, e.quantity) for e in billable] == [
        (HistoryKind.MEDICATION, "Amoxicillin 500 mg", 2),
        (HistoryKind.SURGERY, "Wound suture", 1),
    ]

    assert console_errors == []

    # The same chart address is refused to the front desk.
    log_out(page)
    log_in(page, "frontdesk")
    response = page.goto(chart_path)
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    axe("a chart refused to the front desk")
    expect(page.get_by_text("Amoxicillin 500 mg")).to_have_count(0)
    # Chromium reports the refused page itself as a failed resource; nothing else went wrong.
    assert [e for e in console_errors if "status of 403" not in e] == []
