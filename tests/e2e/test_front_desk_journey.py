"""A front-desk morning in a real browser: register a patient, book the first free slot with
a doctor, find the visit highlighted on the day calendar, check the patient in on arrival.

The hospital's clock is set to a fixed Monday morning for the journey, so that the first free
slot, the calendar and the arrivals desk all fall on that day whatever the time the test runs
(patients check in on the day of their appointment only)."""

import datetime
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import WIDE_COLUMNS
from core import roles
from patients.models import Patient
from tests.e2e.second_factor import complete_sign_in
from tests.factories import DoctorFactory, SpecialtyFactory, UserFactory, WorkingHoursFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default
JOURNEY_DAY = datetime.date(2030, 3, 4)  # a Monday
DOORS_OPEN = datetime.time(8, 40)  # the hospital's clock when the journey starts


def field(label: str) -> re.Pattern[str]:
    """A form label, with crispy's "*" on required fields."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


@pytest.fixture
def hospital_clock(monkeypatch) -> datetime.datetime:
    """The application's "now" starts at DOORS_OPEN on JOURNEY_DAY and ticks with real time.

    The application reads the time through `django.utils.timezone.now` only (`localdate`
    and `localtime` included), and `live_server` serves from a thread of this process, so
    patching that one function moves the server's clock too.
    """
    opening = timezone.make_aware(datetime.datetime.combine(JOURNEY_DAY, DOORS_OPEN))
    opening = opening.astimezone(datetime.UTC)
    started = time.monotonic()

    def now() -> datetime.datetime:
        return opening + datetime.timedelta(seconds=time.monotonic() - started)

    monkeypatch.setattr(timezone, "now", now)
    return opening


def working_weekdays(doctor, start: datetime.time, end: datetime.time) -> None:
    for weekday in range(5):
        WorkingHoursFactory(
            doctor=doctor,
            weekday=weekday,
            start_time=start,
            end_time=end,
            valid_from=datetime.date(2020, 1, 1),
        )


@pytest.fixture
def grace_hopper(transactional_db, role_groups):
    """A cardiologist working weekdays 09:00–17:00, named after more colleagues than the day
    calendar has room to name in full: the grid is compact, every doctor still on one screen."""
    cardiology = SpecialtyFactory(name="Cardiology")
    for n in range(WIDE_COLUMNS):
        colleague = DoctorFactory(first_name="Ada", last_name=f"Abbot{n:02d}", specialty=cardiology)
        working_weekdays(colleague, datetime.time(9, 0), datetime.time(12, 0))
    doctor = DoctorFactory(first_name="Grace", last_name="Hopper", specialty=cardiology)
    working_weekdays(doctor, datetime.time(9, 0), datetime.time(17, 0))
    return doctor


def test_it_registers_books_finds_and_checks_in_a_patient(
    page, console_errors, live_server, hospital_clock, grace_hopper, axe
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
    axe("the registered patient's page")

    # Book the first free slot with the doctor (the slot picker answers through htmx).
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_test_id("booking-patient")).to_contain_text("Ada Byron")
    page.get_by_role("combobox", name="Doctor").select_option(str(grace_hopper.pk))
    expect(page.locator("#slot-picker")).to_contain_text("with Dr Grace Hopper")
    page.get_by_role("button", name="First free slot").click()
    expect(page.get_by_test_id("first-free")).to_be_visible()
    expect(page.locator("input[name=slot]:checked")).to_have_count(1)
    page.get_by_label("Reason for the visit").fill("Palpitations")
    axe("booking page, the first free slot chosen")
    page.get_by_role("button", name="Book appointment").click()

    # The day calendar shows the whole day, the new visit highlighted, the message above it.
    appointment = Appointment.objects.get(patient=patient)
    assert timezone.localtime(appointment.start) == timezone.make_aware(
        datetime.datetime.combine(JOURNEY_DAY, datetime.time(9, 0))
    )
    expect(page.get_by_role("alert").first).to_contain_text(
        "Booked Ada Byron with Dr Grace Hopper on Monday 04 March at 09:00"
    )
    expect(page.locator("h1")).to_have_text(re.compile(r"^Monday 4 March 2030\s+Today$"))
    cell = page.locator(f"#appointment-{appointment.pk}")
    expect(cell).to_contain_text("Byron, Ada")
    expect(cell).to_have_class(re.compile(r"\bcal-highlight\b"))
    expect(page.get_by_role("columnheader", name=re.compile("Dr Grace Hopper"))).to_be_visible()
    # Her colleagues are on the same screen.
    expect(page.get_by_role("columnheader", name=re.compile("Dr Ada Abbot00"))).to_be_visible()
    expect(page.get_by_role("columnheader", name=re.compile(r"^Dr "))).to_have_count(
        WIDE_COLUMNS + 1
    )
    axe("day calendar with the booked visit")

    # The patient arrives.
    page.get_by_role("navigation").get_by_role("link", name="Arrivals").click()
    page.get_by_role("button", name="Check in Ada Byron").click()
    row = page.locator(f"#arrival-{appointment.pk}")
    expect(row).to_contain_text("Checked in")
    expect(page.get_by_role("button", name="Check in Ada Byron")).to_have_count(0)
    axe("arrivals after a check-in")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert appointment.attendance.checked_in_by.username == "frontdesk"
    assert console_errors == []


def test_a_doctor_chosen_before_the_page_is_ready_still_shows_their_slots(
    page, console_errors, live_server, hospital_clock, grace_hopper
):
    """htmx arrives late (held back here); the doctor picked meanwhile is not forgotten."""
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    log_in(page, "frontdesk")
    held = []
    page.route("**/htmx.min.js", lambda route: held.append(route))

    page.goto("/appointments/book/", wait_until="commit")
    page.get_by_role("combobox", name="Doctor").select_option(str(grace_hopper.pk))
    expect(page.locator("#slot-picker")).to_contain_text("Choose a doctor")
    assert held, "the page asked for htmx"
    for route in held:
        route.continue_()
    page.unroute("**/htmx.min.js")

    expect(page.locator("#slot-picker")).to_contain_text("with Dr Grace Hopper")
    expect(page.get_by_role("combobox", name="Doctor")).to_have_value(str(grace_hopper.pk))
