"""Moving an appointment by dragging it on the day calendar, in Chromium: Ada Byron's 09:00 with
Dr Okafor dropped on Dr Lee's free 10:30 asks first, in words; accepted, the calendar comes
back with the visit in Dr Lee's column, highlighted, and the message. Declined, nothing moves.
Without a pointer, the appointment's link (keyboard-reachable) leads to its Reschedule button,
whose form moves it to Dr Lee's 10:30 by keyboard alone.

The hospital's clock is the front-desk journey's fixed Monday morning (08:40).
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus
from core import roles
from tests.e2e.test_front_desk_journey import (  # noqa: F401 (hospital_clock: a fixture)
    JOURNEY_DAY,
    hospital_clock,
    log_in,
)
from tests.factories import DoctorFactory, PatientFactory, UserFactory, WorkingHoursFactory

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
DAY_PAGE = f"/appointments/?day={JOURNEY_DAY}"


def local(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(JOURNEY_DAY, datetime.time(hour, minute)))


@pytest.fixture
def clinic(transactional_db, role_groups, hospital_clock):  # noqa: F811
    """Dr Okafor and Dr Lee working weekdays 08:00–17:00 (30-minute slots); Ada Byron booked
    with Dr Okafor at 09:00; the front desk's login."""
    doctors = {}
    for first, last in (("Chidi", "Okafor"), ("Mei", "Lee")):
        doctor = DoctorFactory(first_name=first, last_name=last)
        for weekday in range(5):
            WorkingHoursFactory(
                doctor=doctor,
                weekday=weekday,
                start_time=datetime.time(8, 0),
                end_time=datetime.time(17, 0),
                valid_from=datetime.date(2020, 1, 1),
            )
        doctors[last] = doctor
    ada = PatientFactory(first_name="Ada", last_name="Byron")
    visit = Appointment.objects.create(
        doctor=doctors["Okafor"],
        patient=ada,
        start=local(9),
        end=local(9, 30),
        status=AppointmentStatus.SCHEDULED,
        reason="Check-up",
    )
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    return {**doctors, "visit": visit}


def free_cell(page: Page, doctor, time: str):
    return page.locator(f'td[data-drop-doctor="{doctor.pk}"][data-drop-time="{time}"]')


def test_it_moves_an_appointment_by_dragging_it_onto_another_doctors_free_cell(
    page, clinic, console_errors, axe
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    visit, lee = clinic["visit"], clinic["Lee"]
    source = page.locator(f"#appointment-{visit.pk}")
    expect(source).to_have_attribute("draggable", "true")
    axe("day calendar, appointments draggable")
    questions = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    source.drag_to(free_cell(page, lee, "10:30"))

    expect(page).to_have_url(re.compile(rf"highlight={visit.pk}&moved=1$"))
    assert questions == ["Move Byron, Ada (09:00 with Dr Chidi Okafor) to 10:30 with Dr Mei Lee?"]
    visit.refresh_from_db()
    assert (visit.doctor, visit.start, visit.end) == (lee, local(10, 30), local(11))
    message = page.get_by_role("alert").filter(has_text="Moved Ada Byron")
    expect(message).to_have_text("Moved Ada Byron to Monday 04 March at 10:30 with Dr Mei Lee.")
    cell = page.locator(f"#appointment-{visit.pk}")
    expect(cell).to_have_class(re.compile(r"\bcal-highlight\b"))
    expect(cell).to_contain_text("10:30–11:00")
    expect(cell).to_contain_text("Just moved")
    # In Dr Lee's column now: the cell Okafor's 09:00 held is free for a drop again.
    expect(free_cell(page, clinic["Okafor"], "09:00")).to_have_count(1)
    expect(free_cell(page, lee, "10:30")).to_have_count(0)
    page.wait_for_load_state("load")
    expect(cell).to_be_in_viewport()
    axe("day calendar with the moved visit highlighted")
    assert console_errors == []


def test_declining_the_question_moves_nothing(page, clinic, console_errors):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    visit = clinic["visit"]
    questions = []

    def decline(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator(f"#appointment-{visit.pk}").drag_to(free_cell(page, clinic["Lee"], "11:00"))
    page.evaluate("() => document.readyState")  # the page's script ran past its question

    assert questions == ["Move Byron, Ada (09:00 with Dr Chidi Okafor) to 11:00 with Dr Mei Lee?"]
    expect(page).to_have_url(re.compile(rf"\?day={JOURNEY_DAY}$"))
    visit.refresh_from_db()
    assert (visit.doctor, visit.start) == (clinic["Okafor"], local(9))
    expect(page.locator(".cal-drop-over")).to_have_count(0)
    assert console_errors == []


def test_the_keyboard_moves_the_appointment_to_another_doctor_through_its_reschedule_form(
    page, clinic, console_errors, axe
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "frontdesk")
    page.goto(DAY_PAGE)
    visit = clinic["visit"]
    link = page.locator(f"#appointment-{visit.pk} a")
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("(a) => a === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")

    reschedule = page.get_by_role("link", name="Reschedule")
    expect(reschedule).to_be_visible()
    reschedule.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/appointments/{visit.pk}/reschedule/"))
    axe("reschedule page reached by keyboard")

    # The form starts on its doctor; the arrow keys choose Dr Lee, whose slots then show.
    lee = clinic["Lee"]
    doctor = page.get_by_label(re.compile(r"^\s*Doctor\s*$"))
    expect(doctor).to_be_focused()
    # (Up or down: the list's order of the two doctors depends on the codes the factories gave.)
    values = doctor.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    steps = values.index(str(lee.pk)) - values.index(doctor.input_value())
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    expect(doctor).to_have_value(str(lee.pk))
    expect(page.locator("#slot-picker")).to_contain_text("with Dr Mei Lee")
    # Tab into the slots, the arrow keys to 10:30, Tab to the button, Enter.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "slot":
            break
    wanted = "Dr Mei Lee · Monday 4 March · 10:30–11:00"
    for _ in range(40):
        if page.evaluate("document.activeElement.dataset.summary") == wanted:
            break
        page.keyboard.press("ArrowRight")
    expect(page.locator("input[name=slot]:checked")).to_have_attribute("data-summary", wanted)
    axe("reschedule page, Dr Lee's 10:30 chosen by keyboard")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move the appointment")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert").first).to_contain_text(
        "Moved to Monday 04 March at 10:30 with Dr Mei Lee."
    )
    visit.refresh_from_db()
    assert (visit.doctor, visit.start, visit.end) == (lee, local(10, 30), local(11))
    axe("appointment page after a move by keyboard")
    assert console_errors == []
