"""Leaving a page with unsaved changes asks first, on the forms where people type beyond the
visit page (tests/e2e/test_visit_keeps_typing.py): the desk's cancellation reason, booking
and registration, an
administrator's time off (also when the form came back with its errors), and a clerk's new
price. Staying keeps what was typed; saving never asks. axe-core on each state."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from appointments.models import AppointmentStatus
from billing.models import MedicationCost
from core import roles
from doctors.models import TimeOff
from tests.e2e.test_login_journey import PASSWORD, log_in, make_user
from tests.factories import AppointmentFactory, DoctorFactory

pytestmark = pytest.mark.e2e

QUESTION = "This page has changes that are not saved. Leave it and lose them?"


class Dialogs:
    """Records each dialog the page opens (its type and message) and answers it as told:
    `stay` dismisses a link's question, `leave` accepts it."""

    def __init__(self, page: Page) -> None:
        self.seen: list[tuple[str, str]] = []
        self.accept = False
        page.on("dialog", self._answer)

    def _answer(self, dialog) -> None:
        self.seen.append((dialog.type, dialog.message))
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def test_the_desk_is_asked_before_leaving_a_typed_cancellation_reason(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    make_user(roles.FRONT_DESK, "frontdesk")
    visit = AppointmentFactory(patient__first_name="Ada", patient__last_name="Byron")
    dialogs = Dialogs(page)
    log_in(page, "frontdesk", PASSWORD)

    page.goto(f"/appointments/{visit.pk}/cancel/")
    reason = page.get_by_label("Why is the appointment cancelled?")
    expect(reason).to_be_focused()  # the form starts on its field
    # Nothing typed: "Keep it" leaves without a question.
    page.get_by_role("link", name="Keep it").click()
    expect(page).to_have_url(re.compile(rf"/appointments/{visit.pk}/$"))
    assert dialogs.seen == []

    page.goto(f"/appointments/{visit.pk}/cancel/")
    reason.fill("The patient has the flu")
    page.get_by_role("link", name="Keep it").click()
    assert dialogs.seen == [("confirm", QUESTION)]
    expect(page).to_have_url(re.compile(rf"/appointments/{visit.pk}/cancel/$"))
    expect(reason).to_have_value("The patient has the flu")
    axe("cancellation form with a typed reason, after staying")

    # Saving asks nothing.
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("alert").first).to_have_text("Cancelled Ada Byron's appointment.")
    assert dialogs.seen == [("confirm", QUESTION)]
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED

    # The booking page and the registration form ask too, when the menu would leave them.
    menu = page.get_by_role("navigation", name="Main")
    page.goto(f"/appointments/book/?patient={visit.patient_id}")
    page.get_by_label("Reason for the visit").fill("Follow-up of the flu")
    menu.get_by_role("link", name="Arrivals").click()
    assert dialogs.seen == [("confirm", QUESTION)] * 2
    expect(page.get_by_label("Reason for the visit")).to_have_value("Follow-up of the flu")
    # The address bar: the browser's own question, answered "Leave".
    dialogs.accept = True
    page.goto("/patients/new/")
    dialogs.accept = False
    assert [kind for kind, _ in dialogs.seen] == ["confirm", "confirm", "beforeunload"]
    page.get_by_label(re.compile(r"^\s*First name")).fill("Charles")
    menu.get_by_role("link", name="Arrivals").click()
    assert [kind for kind, _ in dialogs.seen] == ["confirm", "confirm", "beforeunload", "confirm"]
    expect(page.get_by_label(re.compile(r"^\s*First name"))).to_have_value("Charles")
    assert console_errors == []


def test_an_administrator_is_asked_before_leaving_time_off_typed_or_sent_back_with_errors(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    make_user(roles.ADMINISTRATOR, "admin")
    doctor = DoctorFactory(first_name="Grace", last_name="Hopper")
    dialogs = Dialogs(page)
    log_in(page, "admin", PASSWORD)
    back = re.compile(r"^Back to .*Hopper's timetable$")

    page.goto(f"/doctors/{doctor.pk}/time-off/new/")
    page.get_by_label("Reason").fill("Conference in Lisbon")
    page.get_by_role("link", name=back).click()
    assert dialogs.seen == [("confirm", QUESTION)]
    expect(page.locator("h1")).to_contain_text("Add time off")
    expect(page.get_by_label("Reason")).to_have_value("Conference in Lisbon")

    # Sent back with an error (it ends before it starts): what came back is still not saved.
    page.get_by_label("From").fill("2030-05-06T09:00")
    page.get_by_label("Until").fill("2030-05-06T08:00")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_text("Time off must end after it starts.")).to_be_visible()
    expect(page.get_by_label("Reason")).to_have_value("Conference in Lisbon")
    axe("time off form with its error")
    page.get_by_role("link", name=back).click()
    assert dialogs.seen == [("confirm", QUESTION)] * 2
    expect(page.get_by_text("Time off must end after it starts.")).to_be_visible()

    # Corrected and saved: no question, and the timetable lists it.
    page.get_by_label("Until").fill("2030-05-08T17:00")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_role("alert").first).to_contain_text("Added the time off.")
    assert len(dialogs.seen) == 2
    assert TimeOff.objects.get(doctor=doctor).reason == "Conference in Lisbon"

    # Leaving when told to: the question accepted, the page left, nothing saved.
    page.goto(f"/doctors/{doctor.pk}/time-off/new/")
    page.get_by_label("Reason").fill("Second conference")
    dialogs.accept = True
    page.get_by_role("link", name=back).click()
    expect(page).to_have_url(re.compile(rf"/doctors/{doctor.pk}/schedule/$"))
    assert len(dialogs.seen) == 3
    assert TimeOff.objects.filter(doctor=doctor).count() == 1
    assert console_errors == []


def test_a_clerk_is_asked_before_leaving_a_new_price_unsaved(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    make_user(roles.BILLING_CLERK, "billing")
    dialogs = Dialogs(page)
    log_in(page, "billing", PASSWORD)

    page.goto("/billing/prices/medications/new/")
    name = page.get_by_label(re.compile(r"^\s*Name"))
    expect(name).to_be_focused()
    name.fill("Paracetamol 500 mg")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Price lists"
    ).click()
    assert dialogs.seen == [("confirm", QUESTION)]
    expect(name).to_have_value("Paracetamol 500 mg")
    axe("new medication price, typed, after staying")

    page.get_by_label(re.compile(r"^\s*Unit cost")).fill("0.35")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Price lists")
    assert len(dialogs.seen) == 1
    assert MedicationCost.objects.get(name="Paracetamol 500 mg").unit_cost == Decimal("0.35")
    assert console_errors == []
