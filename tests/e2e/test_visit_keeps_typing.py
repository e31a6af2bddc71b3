"""The visit page in a real browser never loses what the doctor typed: every field typed into,
every secondary button used (add and remove a medication, a procedure, a condition), the text
still in its field after each, then saved; and leaving with unsaved changes asks first."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core import roles
from patients.models import HistoryKind
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.second_factor import complete_sign_in, give_authenticator
from tests.factories import (
    DoctorFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default

# Every field of the visit page a doctor types into, by its label, and what is typed there.
NOTES = {
    "Concerns (in the patient's words)": "Cut the left hand on a knife\nworried about tetanus",
    "Symptoms": "Bleeding stopped; 3 cm wound on the palm",
    "Diagnosis": "Laceration of the left palm",
    "Notes": "Tetanus booster up to date (2021).\nReview in 10 days for the stitches.",
}
PROCEDURE_TYPED = "Wound irrigation, saline"
CONDITION_TYPED = "Type 2 diabetes, on diet"


@pytest.fixture
def visit(transactional_db, role_groups):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    give_authenticator(user)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    MedicationCostFactory(name="Amoxicillin 500 mg")
    MedicationCostFactory(name="Ibuprofen 400 mg")
    ProcedureFeeFactory(name="Wound suture")
    return checked_in_visit(doctor=doctor, patient=patient, start=today_at(9), started=True)


def open_visit(page: Page, visit) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("doctor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, "doctor")
    page.goto(f"/clinical/visits/{visit.pk}/")
    expect(page.get_by_test_id("patient-header")).to_contain_text("Ada Lovelace")


def field(page: Page, label: str):
    """The field of this label (a required field's label ends in an asterisk)."""
    label = re.compile(rf"^\s*{re.escape(label)}\W*$")
    return page.get_by_label(label).and_(page.locator("input, select, textarea"))


def section(page: Page, kind: str):
    return page.get_by_test_id(f"visit-section-{kind}")


def screenshot(page: Page, name: str) -> None:
    """Saved under $HMS_SCREENSHOTS when it names a directory (docs/screenshots holds them)."""
    folder = os.environ.get("HMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_it_keeps_every_typed_field_through_every_secondary_action_then_saves_it(
    page, console_errors, live_server, visit, axe
):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    open_visit(page, visit)

    # Type into every field: the notes, and the procedure and condition boxes (not added yet).
    typed = dict(NOTES)
    for label, text in NOTES.items():
        field(page, label).fill(text)
    typed["Or describe it"] = PROCEDURE_TYPED
    typed["Condition"] = CONDITION_TYPED
    field(page, "Or describe it").fill(PROCEDURE_TYPED)
    field(page, "Condition").fill(CONDITION_TYPED)
    # Set on this very document: a reload would lose it.
    page.evaluate("window.sameDocument = true")

    def all_typed_still_there() -> None:
        for label, text in typed.items():
            expect(field(page, label)).to_have_value(text)
        assert page.evaluate("window.sameDocument") is True

    def added(kind: str, text: str | re.Pattern[str]) -> None:
        expect(section(page, kind).get_by_role("status")).to_have_text(text)

    # Medications: two, from the price list, with a quantity.
    medication = field(page, "Medication")
    for name, quantity in (("Amoxicillin 500 mg", "2"), ("Ibuprofen 400 mg", "1")):
        medication.select_option(label=name)
        field(page, "Quantity").fill(quantity)
        page.get_by_role("button", name="Add medication").click()
        added("medication", f"Added: {name} × {quantity}.")
        expect(medication).to_have_value("")  # ready for the next one
        all_typed_still_there()
    axe("visit page, medications added in place")

    # Procedures: the one described above, and one from the list.
    page.get_by_role("button", name="Add procedure").click()
    added("surgery", f"Added: {PROCEDURE_TYPED}.")
    typed["Or describe it"] = ""
    all_typed_still_there()
    field(page, "Surgery or procedure from the list").select_option(label="Wound suture")
    page.get_by_role("button", name="Add procedure").click()
    added("surgery", "Added: Wound suture.")
    all_typed_still_there()

    # Conditions: the one typed above, then one more; an empty one is refused beside its box.
    page.get_by_role("button", name="Add condition").click()
    added("condition", f"Added: {CONDITION_TYPED}.")
    typed["Condition"] = ""
    all_typed_still_there()
    page.get_by_role("button", name="Add condition").click()
    expect(section(page, "condition")).to_contain_text("Name the condition.")
    all_typed_still_there()
    axe("visit page, an empty condition refused beside its box")
    field(page, "Condition").fill("Tension headache")
    page.get_by_role("button", name="Add condition").click()
    added("condition", "Added: Tension headache.")
    all_typed_still_there()

    # Remove one of each, with something typed in that section's box meanwhile.
    field(page, "Or describe it").fill("Tetanus booster")
    typed["Or describe it"] = "Tetanus booster"
    for kind, name in (
        ("medication", "Ibuprofen 400 mg"),
        ("surgery", "Wound suture"),
        ("condition", "Tension headache"),
    ):
        section(page, kind).get_by_role("button", name=f"Remove {name}").click()
        added(kind, re.compile(rf"^Removed: {name}"))
        expect(section(page, kind).get_by_test_id("visit-items")).not_to_contain_text(name)
        all_typed_still_there()

    for text in ("Amoxicillin 500 mg", PROCEDURE_TYPED, CONDITION_TYPED):
        expect(page.locator("#visit-notes")).to_contain_text(text)
    screenshot(page, "visit-page.png")
    axe("visit page, one item of each removed in place")

    # Save the notes: the procedure typed and not added yet stays in its box.
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("alert").filter(has_text="Visit notes saved.")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # a new document, from the server
    all_typed_still_there()
    page.get_by_role("button", name="Add procedure").click()
    added("surgery", "Added: Tetanus booster.")
    typed["Or describe it"] = ""
    all_typed_still_there()

    # Open the page again: the notes come from the database now.
    page.goto(f"/clinical/visits/{visit.pk}/")
    for label, text in NOTES.items():
        expect(field(page, label)).to_have_value(text)

    # Complete: the chart shows the visit's text, its items and its conditions.
    page.get_by_role("button", name="Complete visit").click()
    expect(page).to_have_url(re.compile(rf"/clinical/patients/{visit.patient_id}/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Visit of Ada Lovelace completed")
    visits = page.get_by_test_id("visits")
    expect(visits).to_contain_text("Cut the left hand on a knife")
    expect(page.locator("#medication")).to_contain_text("Amoxicillin 500 mg")
    expect(page.locator("#medication")).not_to_contain_text("Ibuprofen 400 mg")
    for procedure in (PROCEDURE_TYPED, "Tetanus booster"):
        expect(page.locator("#surgery")).to_contain_text(procedure)
    expect(page.locator("#surgery")).not_to_contain_text("Wound suture")
    conditions = page.locator("#condition")
    for condition in ("Laceration of the left palm", CONDITION_TYPED):
        expect(conditions).to_contain_text(condition)
    expect(conditions).not_to_contain_text("Tension headache")

    # The visit's own page shows everything saved.
    page.goto(f"/clinical/visits/{visit.pk}/")
    record = page.get_by_role("region", name="Record")
    for text in NOTES.values():
        for line in text.splitlines():
            expect(record).to_contain_text(line)
    axe("completed visit's page")

    visit.refresh_from_db()
    saved = [visit.concerns, visit.symptoms, visit.diagnosis, visit.notes]
    assert [text.replace("\r\n", "\n") for text in saved] == list(NOTES.values())
    entries = sorted(visit.history_entries.values_list("kind", "description", "is_billable"))
    assert entries == sorted(
        [
            (HistoryKind.CONDITION, "Laceration of the left palm", False),
            (HistoryKind.CONDITION, CONDITION_TYPED, False),
            (HistoryKind.MEDICATION, "Amoxicillin 500 mg", True),
            (HistoryKind.SURGERY, PROCEDURE_TYPED, True),
            (HistoryKind.SURGERY, "Tetanus booster", True),
        ]
    )
    assert dialogs == []  # no button of the page asked about leaving it
    assert console_errors == []


def test_it_asks_before_leaving_with_changes_and_not_after_saving(
    page, console_errors, live_server, visit
):
    dialogs: list[str] = []
    answer = {"confirm": "dismiss", "beforeunload": "accept"}

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.type)
        getattr(dialog, answer[dialog.type])()

    page.on("dialog", on_dialog)
    open_visit(page, visit)
    concerns = field(page, "Concerns (in the patient's words)")

    # Nothing typed: leaving does not ask.
    page.get_by_role("link", name="Open chart").click()
    expect(page).to_have_url(re.compile(r"/clinical/patients/\d+/$"))
    assert dialogs == []
    page.go_back()

    # An htmx swap that adds fields (an item's section) is no change by itself.
    page.get_by_role("button", name="Add condition").click()
    expect(section(page, "condition")).to_contain_text("Name the condition.")
    page.get_by_role("link", name="Open chart").click()
    expect(page).to_have_url(re.compile(r"/clinical/patients/\d+/$"))
    assert dialogs == []
    page.go_back()

    # Typed, then a link: the page asks, and staying keeps the text.
    concerns.click()
    concerns.press_sequentially("Chest pain on exertion")
    page.get_by_role("link", name="Open chart").click()
    assert dialogs == ["confirm"]
    expect(page).to_have_url(re.compile(rf"/clinical/visits/{visit.pk}/$"))
    expect(concerns).to_have_value("Chest pain on exertion")

    # Typed, then leaving another way (the address bar): the browser's own dialog.
    page.goto("/")
    assert dialogs == ["confirm", "beforeunload"]
    expect(page).not_to_have_url(re.compile(r"/clinical/visits/"))

    # Saved: leaving asks nothing.
    dialogs.clear()
    page.goto(f"/clinical/visits/{visit.pk}/")
    concerns.click()
    concerns.press_sequentially("Chest pain on exertion")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("alert").filter(has_text="Visit notes saved.")).to_be_visible()
    expect(concerns).to_have_value("Chest pain on exertion")
    page.get_by_role("link", name="Open chart").click()
    expect(page).to_have_url(re.compile(r"/clinical/patients/\d+/$"))
    page.goto("/")
    assert dialogs == []
    assert console_errors == []


def test_without_javascript_the_buttons_post_the_page_and_keep_the_typing(
    browser, live_server, visit
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    open_visit(page, visit)
    typed = {"Diagnosis": "Laceration of the left palm", "Condition": CONDITION_TYPED}
    for label, text in typed.items():
        field(page, label).fill(text)

    field(page, "Medication").select_option(label="Amoxicillin 500 mg")
    page.get_by_role("button", name="Add medication").click()
    added = section(page, "medication").get_by_role("status")
    expect(added).to_have_text("Added: Amoxicillin 500 mg × 1.")
    for label, text in typed.items():
        expect(field(page, label)).to_have_value(text)

    page.get_by_role("button", name="Remove Amoxicillin 500 mg").click()
    expect(section(page, "medication").get_by_role("status")).to_contain_text("Removed")
    for label, text in typed.items():
        expect(field(page, label)).to_have_value(text)

    # Enter in a one-line field presses none of the page's buttons.
    field(page, "Condition").press("Enter")
    page.wait_for_load_state()
    visit.refresh_from_db()
    assert visit.diagnosis == "" and not visit.visit_items.exists()
    page.get_by_role("button", name="Add condition").click()
    expect(section(page, "condition").get_by_role("status")).to_have_text(
        f"Added: {CONDITION_TYPED}."
    )
    page.get_by_role("button", name="Save notes").click()
    expect(field(page, "Diagnosis")).to_have_value("Laceration of the left palm")
    visit.refresh_from_db()
    assert visit.diagnosis == "Laceration of the left palm"
    assert [item.description for item in visit.visit_items.all()] == [CONDITION_TYPED]
    context.close()
