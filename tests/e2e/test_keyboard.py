"""The keyboard at the front desk: a skip link, forms that start on their first field (or on
the first field with an error), a visible focus ring, the desk's shortcuts with their help
overlay (static/core/focus.js, static/core/shortcuts.js), and a booking from a free cell of the
day calendar with no Tab at all (the issue counted 44)."""

import re

import pytest
from playwright.sync_api import Page, expect

from appointments.models import Appointment
from core import roles
from tests.e2e.axe import assert_accessible
from tests.e2e.test_calendar_drag import (  # noqa: F401 (clinic, hospital_clock: fixtures)
    DAY_PAGE,
    DESKTOP,
    clinic,
    hospital_clock,
    local,
)
from tests.e2e.test_login_journey import PASSWORD, log_in, make_user
from tests.factories import PatientFactory

pytestmark = pytest.mark.e2e


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


@pytest.fixture
def front_desk(page, live_server, transactional_db, role_groups):
    make_user(roles.FRONT_DESK, "frontdesk")
    log_in(page, "frontdesk", PASSWORD)
    return page


def test_it_skips_to_the_content_with_a_visible_link(front_desk, console_errors):
    page = front_desk
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    page.goto(f"/patients/{ada.pk}/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["width"] > 40 and box["height"] > 20, box
    assert 0 <= box["y"] < 100

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    # The next stop is the page's first control, not the navigation bar's.
    book = page.get_by_role("link", name="Book an appointment")
    expect(book).to_be_focused()
    # A link or button reached by keyboard shows the same ring as a field.
    ring = book.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"], ring
    assert console_errors == []


def test_it_starts_each_form_on_its_first_field_or_its_first_error(front_desk, console_errors):
    page = front_desk
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")

    page.goto("/patients/new/")
    first_name = page.get_by_label(re.compile(r"^\s*First name"))
    expect(first_name).to_be_focused()
    ring = first_name.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"], ring

    page.get_by_label(re.compile(r"^\s*First name")).fill("Mary")
    page.get_by_role("button", name="Register patient").click()
    # First name was given: the first field with an error is the last name.
    expect(page.get_by_label(re.compile(r"^\s*Last name"))).to_be_focused()

    # The booking page starts in its form, so a keyboard booking needs no Tab to get there.
    page.goto(f"/appointments/book/?patient={ada.pk}")
    page.wait_for_function(
        "document.activeElement && document.activeElement.matches("
        "'main form input, main form select, main form textarea')"
    )

    # A page whose purpose is its content leaves the keyboard to the shortcuts.
    page.goto("/appointments/arrivals/")
    assert page.evaluate("document.activeElement === document.body")
    assert console_errors == []


def test_the_desk_shortcuts_and_their_help(front_desk, console_errors):
    page = front_desk
    PatientFactory(first_name="Ada", last_name="Lovelace")

    # "/" goes to the search box: the navigation bar's "Find a patient" on most pages.
    page.goto("/appointments/arrivals/")
    page.keyboard.press("/")
    search = page.get_by_role("search", name="Find a patient").get_by_role("searchbox")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash went to the shortcut, not into the box
    search.fill("Lovelace")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/patients/\?q=Lovelace"))
    expect(page.locator("#patient-results")).to_contain_text("Lovelace")

    # "?" opens the help, which lists the keys; Escape closes it.
    page.goto("/")
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    keys = help_dialog.get_by_test_id("shortcut-list").locator("dt kbd")
    expect(keys).to_contain_text(["/", "n", "[", "Alt", "←", "]", "Alt", "→", "?", "Esc"])
    assert_accessible(page, "keyboard shortcuts help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # "n" typed into a field is a letter, not a new booking.
    home_search = page.get_by_label("Find a patient")
    home_search.focus()
    page.keyboard.type("n")
    expect(home_search).to_have_value("n")
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk")
    assert page.evaluate("location.pathname") == "/"

    # Out of the field, "n" starts a booking.
    home_search.blur()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/patients/\?pick=book"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose the patient")
    assert console_errors == []


def test_it_turns_the_calendar_day_with_the_bracket_and_alt_arrow_keys(front_desk, console_errors):
    page = front_desk
    page.goto("/appointments/?day=2030-03-04")
    expect(page.locator("h1")).to_contain_text("Monday 4 March 2030")

    page.keyboard.press("]")
    expect(page).to_have_url(re.compile(r"day=2030-03-05"))
    expect(page.locator("h1")).to_contain_text("Tuesday 5 March 2030")
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("h1")).to_contain_text("Wednesday 6 March 2030")
    page.keyboard.press("[")
    expect(page.locator("h1")).to_contain_text("Tuesday 5 March 2030")
    page.keyboard.press("Alt+ArrowLeft")
    expect(page.locator("h1")).to_contain_text("Monday 4 March 2030")
    assert console_errors == []


def test_a_keyboard_books_from_a_free_cell_without_a_single_tab(
    page,
    clinic,  # noqa: F811
    console_errors,
):
    PatientFactory(first_name="Charles", last_name="Babbage")
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk", PASSWORD)
    page.goto(DAY_PAGE)
    lee = clinic["Lee"]
    # Where Tab brings a keyboard user in the grid (each free cell is a link in reading order).
    page.get_by_role("link", name=f"Free — book {lee} at 11:00").focus()
    page.keyboard.press("Enter")

    # The booking page starts in the patient box; the arrow keys and Enter pick, Enter books.
    search = page.get_by_role("searchbox", name="Patient", exact=True)
    expect(search).to_be_focused()
    page.keyboard.type("Babbage")
    suggestion = page.get_by_role("button", name=re.compile(r"^Babbage, Charles"))
    expect(suggestion).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(suggestion).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("booking-patient")).to_contain_text("Charles Babbage")
    book = page.get_by_role("button", name="Book appointment")
    expect(book).to_be_focused()
    assert_accessible(page, "booking page, the patient picked by keyboard")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"highlight=\d+$"))
    appointment = Appointment.objects.get(patient__last_name="Babbage")
    assert (appointment.doctor, appointment.start) == (lee, local(11))
    expect(page.locator(f"#appointment-{appointment.pk} a")).to_be_focused()
    assert console_errors == []
