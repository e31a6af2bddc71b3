"""The check-in queue in two browsers: the waiting-room display (no login) beside the desk and
the doctor. A checked-in patient's token appears on the display and moves when the doctor
calls next; the display never shows a name. axe-core on every state of each page."""

import re

import pytest
from playwright.sync_api import expect

from appointments.queue_services import queue_room_save
from core import roles
from tests.clinical.factories import today_at
from tests.e2e.axe import assert_accessible
from tests.e2e.test_clinical_journey import log_in, log_out
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e

# The display polls every 5 s; a change shows at the next poll.
POLL_WAIT_MS = 15_000


@pytest.fixture
def display(browser, live_server, console_errors):
    """A second browser, logged in as nobody: the screen on the waiting room's wall."""
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    screen = context.new_page()
    screen.on(
        "console",
        lambda m: m.type == "error" and console_errors.append(f"display: {m.text}"),
    )
    screen.on("pageerror", lambda error: console_errors.append(f"display: uncaught {error}"))
    yield screen
    context.close()


def test_a_token_appears_on_the_display_and_moves_when_the_doctor_calls_next(
    page, display, console_errors, live_server, transactional_db, role_groups, axe
):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    queue_room_save(doctor=doctor, room="Room 4", display_name="", by=None)
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    bob = PatientFactory(first_name="Bob", last_name="Marley")
    AppointmentFactory(doctor=doctor, patient=ada, start=today_at(9), end=today_at(9, 30))
    AppointmentFactory(doctor=doctor, patient=bob, start=today_at(9, 30), end=today_at(10))

    # The wall screen, before anyone arrives.
    display.goto(f"/waiting-room/{doctor.code}/")
    expect(display.locator("h1")).to_have_text("Waiting room: Room 4, Dr House")
    queue = display.locator(f'[data-queue="{doctor.code}"]')
    expect(queue.get_by_text("Nobody waiting")).to_be_visible()
    assert_accessible(display, "waiting-room display, nobody waiting")

    # The desk checks both in: each gets the next token, shown on arrivals with its slip.
    log_in(page, "frontdesk")
    page.goto("/appointments/arrivals/")
    page.get_by_role("button", name="Check in Ada Lovelace").click()
    expect(page.locator(".alert-success")).to_contain_text("Checked in Ada Lovelace: token 1.")
    page.get_by_role("button", name="Check in Bob Marley").click()
    expect(page.locator(".alert-success")).to_contain_text("Checked in Bob Marley: token 2.")
    expect(page.get_by_test_id("token")).to_have_count(2)
    axe("arrivals with tokens")
    page.get_by_role("link", name="Print token 1 of Ada Lovelace").click()
    expect(page.get_by_test_id("token-number")).to_have_text("1")
    expect(page.get_by_test_id("queue-slip")).to_contain_text("Room 4 · Dr House")
    expect(page.get_by_test_id("queue-slip")).not_to_contain_text("Lovelace")
    axe("token slip")
    log_out(page)

    # The screen picks the tokens up by itself: numbers only.
    expect(queue.get_by_test_id("waiting")).to_have_text("12", timeout=POLL_WAIT_MS)
    expect(queue.get_by_test_id("called")).to_contain_text("nobody yet")
    for name in ("Ada", "Lovelace", "Bob", "Marley", ada.mrn, bob.mrn):
        assert name not in display.content()
    assert_accessible(display, "waiting-room display, two waiting")

    # The doctor calls the next patient from the day list.
    log_in(page, "doctor")
    panel = page.get_by_test_id("queue-panel")
    expect(panel.get_by_test_id("queue-called")).to_contain_text("Nobody called yet.")
    axe("doctor's day with the queue")
    panel.get_by_role("button", name="Call next (token 1)").click()
    expect(page.locator(".alert-success")).to_contain_text("Token 1 called")
    expect(panel.get_by_test_id("queue-called")).to_contain_text("token 1, Ada Lovelace")
    axe("doctor's day, token 1 called")

    # The screen shows token 1 called to the room, fresh, and token 2 next.
    expect(queue.get_by_test_id("called")).to_have_text("1", timeout=POLL_WAIT_MS)
    expect(queue.get_by_text("New call")).to_be_visible()
    expect(queue.get_by_test_id("waiting")).to_have_text("2")
    expect(display.get_by_role("status")).to_contain_text("Token 1, Room 4.")
    assert_accessible(display, "waiting-room display, a fresh call")
    assert "Lovelace" not in display.content()

    # Token 1 does not come: recall, then call the next one, who moves to the room.
    panel.get_by_role("button", name="Recall token 1").click()
    expect(page.locator(".alert-success")).to_contain_text("Token 1 called again.")
    panel.get_by_role("button", name=re.compile(r"^Call next \(token 2\)")).click()
    expect(panel.get_by_test_id("queue-called")).to_contain_text("token 2, Bob Marley")
    expect(queue.get_by_test_id("called")).to_have_text("2", timeout=POLL_WAIT_MS)
    expect(queue.get_by_text("Nobody waiting")).to_be_visible()
    assert_accessible(display, "waiting-room display, queue empty after calls")
    assert console_errors == []
