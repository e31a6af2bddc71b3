"""The front desk on a phone (390 × 844): Arrivals without scrolling sideways, a check-in and
its undo, and an appointment moved to another doctor through the reschedule form.

The hospital's clock is a fixed Monday morning that ticks with real time (as in
test_front_desk_journey.py), so that "today" on the Arrivals page is the appointments' day.
"""

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus, Attendance
from core import roles
from tests.e2e.axe import assert_accessible
from tests.e2e.second_factor import complete_sign_in
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    SpecialtyFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default
DAY = datetime.date(2030, 3, 4)  # a Monday
DOORS_OPEN = datetime.time(8, 40)
PHONE = {"width": 390, "height": 844}


def local(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(hour, minute)))


@pytest.fixture
def hospital_clock(monkeypatch) -> datetime.datetime:
    """The application's "now": DOORS_OPEN on DAY, ticking with real time (live_server serves
    from a thread of this process, so patching `timezone.now` moves its clock too)."""
    opening = local(DOORS_OPEN.hour, DOORS_OPEN.minute).astimezone(datetime.UTC)
    started = time.monotonic()
    monkeypatch.setattr(
        timezone,
        "now",
        lambda: opening + datetime.timedelta(seconds=time.monotonic() - started),
    )
    return opening


def doctor(first: str, last: str, specialty: str):
    person = DoctorFactory(
        first_name=first, last_name=last, specialty=SpecialtyFactory(name=specialty)
    )
    for weekday in range(5):
        WorkingHoursFactory(
            doctor=person,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(17),
            valid_from=datetime.date(2020, 1, 1),
        )
    return person


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


def assert_fits_the_phone(page: Page, where: str) -> None:
    """No page-level sideways scroll, and no serious axe-core violation, on this page state."""
    page.wait_for_load_state()
    width, screen = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= screen, f"{where}: the page is {width} px wide on a {screen} px screen"
    assert_accessible(page, where)


def assert_on_screen(page: Page, locator, where: str) -> None:
    expect(locator).to_be_in_viewport()
    box = locator.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (
        f"{where}: {box} is not within the {PHONE['width']} px screen"
    )


def test_it_checks_in_undoes_and_moves_to_another_doctor_on_a_phone(
    page, console_errors, live_server, role_groups, hospital_clock
):
    hopper = doctor("Grace", "Hopper", "Cardiology")
    turing = doctor("Alan", "Turing", "Neurology")
    ada = AppointmentFactory(
        patient=PatientFactory(first_name="Ada", last_name="Byron"),
        doctor=hopper,
        start=local(9),
        end=local(9, 30),
    )
    charles = AppointmentFactory(
        patient=PatientFactory(first_name="Charles", last_name="Babbage"),
        doctor=hopper,
        start=local(10),
        end=local(10, 30),
    )
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    page.set_viewport_size(PHONE)
    # Bootstrap's buttons fade between states; axe-core must see them settled, not mid-fade.
    page.emulate_media(reduced_motion="reduce")
    log_in(page, "frontdesk")

    # Arrivals: every appointment a card, "Check in" within the screen.
    page.goto(reverse("appointments:arrivals"))
    expect(page.locator("h1")).to_have_text("Arrivals")
    assert_fits_the_phone(page, "Arrivals")
    check_in = page.get_by_role("button", name="Check in Ada Byron")
    assert_on_screen(page, check_in, "Check in")
    check_in.click()
    expect(page.locator(f"#arrival-{ada.pk}")).to_contain_text("Checked in")
    assert_fits_the_phone(page, "Arrivals after a check-in")

    # The wrong patient was checked in: undo, after a confirmation.
    undo = page.get_by_role("link", name="Undo check-in Ada Byron")
    assert_on_screen(page, undo, "Undo check-in")
    undo.click()
    expect(page.locator("h1")).to_have_text("Undo a check-in")
    assert_fits_the_phone(page, "Undo confirmation")
    ada.refresh_from_db()
    assert ada.status == AppointmentStatus.CHECKED_IN  # asking changed nothing
    page.get_by_role("button", name="Undo the check-in").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Check-in of Ada Byron undone: the appointment is scheduled again."
    )
    expect(page.locator(f"#arrival-{ada.pk}")).to_contain_text("Scheduled")
    assert_on_screen(page, page.get_by_role("button", name="Check in Ada Byron"), "Check in")
    ada.refresh_from_db()
    assert ada.status == AppointmentStatus.SCHEDULED
    assert not Attendance.objects.filter(appointment=ada).exists()

    # Charles Babbage's visit moves to Dr Turing, through the reschedule form.
    page.locator(f"#arrival-{charles.pk}").get_by_role("link", name="10:00–10:30").click()
    expect(page.locator("h1")).to_contain_text("10:00–10:30")
    assert_fits_the_phone(page, "Appointment")
    page.get_by_role("link", name="Reschedule").click()
    expect(page.locator("h1")).to_have_text("Reschedule an appointment")
    assert_fits_the_phone(page, "Reschedule")
    page.get_by_label(re.compile(r"^\s*Doctor\s*$")).select_option(str(turing.pk))
    picker = page.locator("#slot-picker")
    expect(picker).to_contain_text("with Dr Alan Turing")  # refreshed by htmx
    eleven = picker.locator("label", has_text=re.compile(r"^11:00 on Monday 4 March with"))
    eleven.click()
    expect(page.locator("input[name=slot]:checked")).to_have_value(re.compile(rf"^{turing.pk}\|"))
    assert_fits_the_phone(page, "Reschedule with Dr Turing's slots")
    page.get_by_role("button", name="Move the appointment").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Moved to Monday 04 March at 11:00 with Dr Alan Turing."
    )
    expect(page.get_by_role("table", name=re.compile("Every change"))).to_contain_text(
        "Rescheduled from Dr Grace Hopper to Dr Alan Turing"
    )
    assert_fits_the_phone(page, "Appointment after the move")
    charles = Appointment.objects.get(pk=charles.pk)
    assert (charles.doctor, charles.start) == (turing, local(11))
    assert console_errors == []
