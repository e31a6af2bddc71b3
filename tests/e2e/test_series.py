"""The front desk books a 10-week series in Chromium: two clashing weeks are shown with why
and a proposed time, one alternative accepted and one week skipped, all booked at once; then
one occurrence is cancelled, then all the following ones. axe-core on every new state."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus
from core import roles
from tests.e2e.second_factor import complete_sign_in
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    SpecialtyFactory,
    TimeOffFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default
TUESDAY = datetime.date(2030, 3, 5)
WEEK = datetime.timedelta(days=7)


def on(week: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = TUESDAY + week * WEEK
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


@pytest.fixture
def desk(transactional_db, role_groups):
    """A desk clerk, a physiotherapist working Tuesdays and Wednesdays 09:00–17:00 whose
    third Tuesday at 10:00 is taken and sixth Tuesday is a day off, and the patient."""
    physio = DoctorFactory(
        first_name="Grace", last_name="Hopper", specialty=SpecialtyFactory(name="Physiotherapy")
    )
    for weekday in (1, 2):
        WorkingHoursFactory(
            doctor=physio,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(17),
            valid_from=datetime.date(2020, 1, 1),
        )
    AppointmentFactory(
        doctor=physio,
        patient=PatientFactory(),
        start=on(2, 10),
        end=on(2, 10, 30),
        status=AppointmentStatus.SCHEDULED,
    )
    TimeOffFactory(doctor=physio, start=on(5, 0), end=on(5, 23), reason="Course")
    patient = PatientFactory(first_name="Ines", last_name="Marsh")
    UserFactory(username="desk", role=roles.FRONT_DESK)
    return physio, patient


def test_the_desk_books_a_series_resolving_two_clashes_then_cancels_some(page: Page, axe, desk):
    physio, patient = desk
    log_in(page, "desk")
    # As from a free cell of the calendar: the doctor, the day and the time come chosen.
    page.goto(
        f"/appointments/book/?patient={patient.pk}&doctor={physio.pk}"
        f"&from_date={TUESDAY.isoformat()}&time=10:00"
    )
    page.get_by_label("Reason for the visit").fill("Knee exercises")
    page.locator("summary", has_text="Repeat").click()
    page.get_by_label("Repeat this appointment").check()
    expect(page.get_by_label("Number of appointments", exact=True)).to_have_value("10")
    page.get_by_role("button", name="Check the series").click()

    summary = page.get_by_test_id("series-summary")
    expect(summary).to_have_text(re.compile(r"Every Tuesday at 10:00, 10 times: 8 to book, 2 to"))
    taken = page.locator("tr[data-occurrence='3']")
    away = page.locator("tr[data-occurrence='6']")
    expect(taken).to_contain_text("already has an appointment from 10:00 to 10:30")
    expect(away).to_contain_text("is away at that time")
    expect(page.get_by_label("Reason for the visit")).to_have_value("Knee exercises")
    axe("booking page: a series with two clashes")

    taken.get_by_label(re.compile(r"^Book .* 09:30 instead$")).check()
    away.get_by_label("Skip this one").check()
    page.get_by_role("button", name="Check again with these choices").click()
    expect(summary).to_have_text(re.compile(r"10 times: 9 to book$"))
    expect(taken).to_contain_text("moved from")
    expect(away).to_contain_text("Skipped")
    axe("booking page: the clashes resolved")
    page.get_by_test_id("book-series").click()

    expect(page.get_by_role("alert").first).to_contain_text(
        "Booked 9 appointments for Ines Marsh with Dr Grace Hopper, every Tuesday at 10:00"
    )
    panel = page.get_by_test_id("series-panel")
    expect(panel).to_contain_text("This is no. 1 of 9.")
    expect(panel.locator("[data-series-row='3']")).to_contain_text("moved from")
    assert Appointment.objects.get(patient=patient, series_index=3).start == on(2, 9, 30)
    axe("occurrence page with its series")

    # Cancel the fourth only.
    panel.locator("[data-series-row='4'] a").click()
    expect(page.get_by_test_id("series-panel")).to_contain_text("This is no. 4 of 9.")
    page.get_by_label("Only this appointment").check()
    page.get_by_label("Why are they cancelled?").fill("Patient away that week")
    page.get_by_role("button", name="Cancel them").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Cancelled 1 appointment (only this appointment)"
    )

    # Then the seventh and every one after it.
    page.get_by_test_id("series-panel").locator("[data-series-row='7'] a").click()
    page.get_by_label("This and the following appointments").check()
    page.get_by_label("Why are they cancelled?").fill("Treatment finished early")
    page.get_by_role("button", name="Cancel them").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Cancelled 4 appointments (this and the following appointments)"
    )
    axe("occurrence page after cancelling the following ones")

    statuses = dict(
        Appointment.objects.filter(patient=patient).values_list("series_index", "status")
    )
    cancelled = {i for i, status in statuses.items() if status == AppointmentStatus.CANCELLED}
    assert cancelled == {4, 7, 8, 9, 10}
    assert set(statuses) == {1, 2, 3, 4, 5, 7, 8, 9, 10}


def test_the_desk_changes_the_repeat_rule_from_an_appointment_on(page: Page, axe, desk):
    """Wednesdays at 10:00, four times; from the second on, Tuesdays at 10:00 three times: the
    third Tuesday is taken, its proposed time accepted, and the change made at once."""
    from appointments.services import series_book

    physio, patient = desk
    wednesday = datetime.timedelta(days=1)
    booked = series_book(
        patient=patient,
        doctor=physio,
        start=on(0, 10) + wednesday,
        rule="FREQ=WEEKLY;COUNT=4",
        by=None,
    )
    log_in(page, "desk")
    page.goto(f"/appointments/{booked[1].pk}/")
    page.get_by_test_id("series-rule-link").click()

    page.get_by_label("First appointment of the new rule").fill(f"{on(1, 10):%Y-%m-%dT%H:%M}")
    page.get_by_label("Number of appointments").fill("3")
    page.get_by_role("button", name="Check the new dates").click()
    summary = page.get_by_test_id("series-summary")
    expect(summary).to_have_text(re.compile(r"Every Tuesday at 10:00, 3 times: 2 to book, 1 to"))
    taken = page.locator("tr[data-occurrence='2']")
    expect(taken).to_contain_text("already has an appointment from 10:00 to 10:30")
    expect(page.get_by_label("Number of appointments")).to_have_value("3")
    axe("series rule change: a clash in the new dates")

    taken.get_by_label(re.compile(r"^Book .* instead$")).check()
    page.get_by_role("button", name="Check again with these choices").click()
    expect(summary).to_have_text(re.compile(r"3 times: 3 to book$"))
    page.get_by_test_id("confirm-series-rule").click()

    expect(page.get_by_role("alert").first).to_contain_text("The series changed from")
    expect(page.get_by_test_id("series-panel")).to_contain_text("This is no. 1 of 3.")
    axe("the new series' first appointment")
    old = dict(
        Appointment.objects.filter(series=booked[0].series).values_list("series_index", "status")
    )
    assert old == {1: "scheduled", 2: "cancelled", 3: "cancelled", 4: "cancelled"}
    new = Appointment.objects.filter(patient=patient, status="scheduled").exclude(
        series=booked[0].series
    )
    assert new.count() == 3 and new.order_by("start").first().start == on(1, 10)
