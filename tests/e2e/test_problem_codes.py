"""The coded problem list and note templates in a real browser: a doctor types "asthma" on the
visit page, picks J45.909 from the suggestions and sees it on the chart under Active with its
code; codes a condition kept in words by typing "J45" and picking with the keyboard; starts
the notes from a template without losing what was typed. axe-core on each new state."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from clinical import services
from clinical.models import NoteTemplate
from core import roles
from patients.models import HistoryKind
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.second_factor import complete_sign_in, give_authenticator
from tests.factories import DoctorFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default


@pytest.fixture
def visit(transactional_db, role_groups):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    give_authenticator(user)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0001815")
    # As the seed and the workbook bring them: in words only.
    services.history_entry_create(
        patient=patient,
        kind=HistoryKind.CONDITION,
        description="Wheezy when running",
        recorded_on=datetime.date(2019, 4, 2),
        by=user,
    )
    NoteTemplate.objects.create(
        name="Follow-up visit",
        subjective="Since the last visit:",
        objective="BP / pulse / weight:",
        plan="Next review in:",
    )
    return checked_in_visit(doctor=doctor, patient=patient, start=today_at(9), started=True)


def field(page: Page, label: str):
    label = re.compile(rf"^\s*{re.escape(label)}\W*$")
    return page.get_by_label(label).and_(page.locator("input, select, textarea"))


def sign_in(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("doctor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, "doctor")


def test_a_doctor_codes_problems_and_starts_the_notes_from_a_template(
    page: Page, visit, axe, console_errors
):
    sign_in(page)
    page.goto(f"/clinical/visits/{visit.pk}/")
    concerns = field(page, "Concerns (in the patient's words)")
    concerns.fill("Short of breath at night")

    # A template fills what is empty and keeps what the doctor typed.
    notes = page.locator("#visit-notes-section")
    notes.get_by_label("Start from a template").select_option(label="Follow-up visit")
    notes.get_by_role("button", name="Apply template").click()
    expect(page.get_by_test_id("notes-notice")).to_contain_text("your text in Concerns is kept")
    expect(concerns).to_have_value("Short of breath at night")
    expect(field(page, "Symptoms")).to_have_value("BP / pulse / weight:")
    expect(field(page, "Notes")).to_have_value("Plan:\nNext review in:")
    axe("visit notes filled from a template, the doctor's text kept, asked before replacing")

    # A condition found, coded by typing a word and picking from the suggestions.
    section = page.get_by_test_id("visit-section-condition")
    code_box = section.get_by_role("combobox", name="ICD-10-CM code")
    code_box.press_sequentially("asthma")
    suggestions = section.get_by_test_id("code-suggestions")
    expect(suggestions).to_contain_text("J45.909 Unspecified asthma, uncomplicated")
    expect(code_box).to_have_attribute("aria-expanded", "true")
    axe("the code picker's suggestions for asthma")
    suggestions.get_by_role("button", name=re.compile("^J45.909 ")).click()
    expect(code_box).to_have_value("J45.909")
    expect(code_box).to_be_focused()
    expect(section).to_contain_text("Unspecified asthma, uncomplicated")
    section.get_by_role("button", name="Add condition").click()
    expect(section.get_by_test_id("visit-notice")).to_contain_text(
        "Added: Unspecified asthma, uncomplicated."
    )
    expect(section.get_by_test_id("visit-items")).to_contain_text("J45.909")
    # Nothing typed elsewhere was touched by the section's swap.
    expect(concerns).to_have_value("Short of breath at night")
    expect(field(page, "Symptoms")).to_have_value("BP / pulse / weight:")

    page.get_by_role("button", name="Complete visit").click()
    expect(page.get_by_role("alert")).to_contain_text("Visit of Ada Lovelace completed")

    # The chart: problems by status, with code and title; the one in words is "uncoded".
    active = page.get_by_test_id("problems-active")
    expect(active).to_contain_text("J45.909")
    expect(active).to_contain_text("Unspecified asthma, uncomplicated")
    wheezy = active.get_by_role("row").filter(has_text="Wheezy when running")
    expect(wheezy).to_contain_text("uncoded")
    axe("the chart's problem list, one coded and one uncoded")

    # Coding the one in words: "J45", then the keyboard.
    wheezy.get_by_role("link", name=re.compile("^Code it")).click()
    box = page.get_by_role("combobox", name="ICD-10-CM code")
    box.press_sequentially("J45")
    expect(page.get_by_test_id("code-suggestions")).to_contain_text("J45.20")
    box.press("ArrowDown")
    focused = page.locator("[data-code-suggestion]:focus")
    expect(focused).to_have_attribute("data-code", "J45.20")
    page.keyboard.press("ArrowDown")
    expect(focused).to_have_attribute("data-code", "J45.21")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(box).to_have_value("J45.20")
    expect(box).to_be_focused()
    axe("a code picked with the keyboard on the Code it page")
    page.get_by_role("button", name="Save the code").click()

    expect(page.get_by_role("alert")).to_contain_text("Wheezy when running coded as J45.20")
    row = page.get_by_test_id("problems-active").get_by_role("row").filter(has_text="J45.20")
    expect(row).to_contain_text("Mild intermittent asthma, uncomplicated")
    expect(row).to_contain_text("as written: Wheezy when running")
    expect(row).to_contain_text("corrected (version 2)")
    expect(page.get_by_test_id("problems-active")).not_to_contain_text("uncoded")
    assert console_errors == []
