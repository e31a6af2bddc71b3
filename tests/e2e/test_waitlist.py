"""The waitlist in a real browser: the desk cancels a visit, the day calendar shows the freed
cell offered to the first patient in line, and one click on the waitlist page books them;
axe-core on each new state (the offered cell, the offers table, the booked cell)."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from appointments.models import Appointment, AppointmentStatus
from appointments.services import waitlist_add
from appointments.waitlist.models import WaitlistEntry, WaitPriority, WaitStatus
from core import roles
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
DAY = datetime.date(2030, 3, 4)  # a Monday, always ahead


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, username)


@pytest.fixture
def clinic(transactional_db, role_groups):
    """A cardiologist's Monday with a 10:00 visit, and three patients waiting: two for her
    (the first since longer), one for any cardiologist but only in the afternoon."""
    from django.utils import timezone

    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    cardiology = SpecialtyFactory(name="Cardiology")
    doctor = DoctorFactory(first_name="Grace", last_name="Hopper", specialty=cardiology)
    WorkingHoursFactory(doctor=doctor, weekday=0, valid_from=datetime.date(2020, 1, 1))
    start = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(10)))
    visit = AppointmentFactory(
        doctor=doctor,
        patient=PatientFactory(first_name="Otto", last_name="Visitor"),
        start=start,
        end=start + datetime.timedelta(minutes=30),
    )
    waiters = [
        waitlist_add(
            patient=PatientFactory(first_name=first, last_name=last),
            day_from=DAY,
            day_to=DAY + datetime.timedelta(days=13),
            by=None,
            **wants,
        )
        for first, last, wants in (
            ("Ada", "Firstinline", {"doctor": doctor}),
            ("Bo", "Secondinline", {"doctor": doctor}),
            (
                "Cy",
                "Afternoons",
                {"specialty": cardiology, "earliest": datetime.time(13), "priority": 1},
            ),
        )
    ]
    assert waiters[2].priority == WaitPriority.URGENT
    return visit, waiters


def test_a_cancellation_is_offered_to_the_first_waiter_and_booked_in_one_click(
    page: Page, clinic, axe
):
    visit, (first, second, _afternoons) = clinic
    log_in(page, "frontdesk")

    # Cancel the 10:00 visit from its page.
    page.goto(f"/appointments/{visit.pk}/")
    page.get_by_role("link", name="Cancel", exact=True).click()
    page.get_by_label(re.compile("Why is the appointment cancelled")).fill("Patient is abroad")
    page.get_by_role("button", name="Cancel the appointment").click()
    page.wait_for_load_state()

    # The day calendar: the freed 10:00 cell is offered to the first in line (not to the
    # urgent waiter, who wants afternoons only).
    page.goto(f"/appointments/?day={DAY.isoformat()}&view=grid")
    offered = page.locator("td.cal-offered")
    expect(offered).to_have_count(1)
    expect(offered).to_contain_text("Offered to Firstinline, Ada")
    axe("day calendar with an offered cell")

    # One click on the cell leads to the offer; one click books it.
    offered.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Waitlist")
    row = page.locator("[data-testid=waitlist-offers] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Firstinline, Ada")
    expect(row).to_contain_text("10:00–10:30")
    # The waiter is told by e-mail (queued with the offer; no address on file here).
    expect(row.get_by_test_id("offer-told")).to_contain_text("Told: E-mail")
    axe("waitlist page with an open offer")
    row.get_by_role("button", name=re.compile("^Book")).click()
    page.wait_for_load_state()

    # Back on the calendar, the waiter's visit is there and highlighted.
    expect(page.get_by_role("alert")).to_contain_text(
        "Booked Ada Firstinline (" + first.patient.mrn + ") with Dr Grace Hopper"
    )
    booked = Appointment.objects.get(patient=first.patient)
    assert (booked.start, booked.status) == (visit.start, AppointmentStatus.SCHEDULED)
    cell = page.locator(f"#appointment-{booked.pk}")
    expect(cell).to_contain_text("Firstinline, Ada")
    expect(cell).to_contain_text("Just booked")
    expect(page.locator("td.cal-offered")).to_have_count(0)
    axe("day calendar after booking the offer")

    # The waitlist: no offer left; the second waiter is still in line.
    page.goto("/appointments/waitlist/")
    expect(page.get_by_text("No open offers.")).to_be_visible()
    entries = page.locator("[data-testid=waitlist-entries] tbody tr")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("Afternoons, Cy")  # urgent first
    expect(entries.nth(1)).to_contain_text("Secondinline, Bo")
    assert WaitlistEntry.objects.get(pk=first.pk).status == WaitStatus.BOOKED
    axe("waitlist page after booking")

    # The form that puts a patient on the list.
    page.get_by_role("link", name="Add a patient to the waitlist").click()
    expect(page.locator("h1")).to_have_text("Add a patient to the waitlist")
    page.get_by_role("button", name="Add to the waitlist").click()  # nothing filled in
    expect(page.get_by_text("Pick a doctor or a specialty.")).to_be_visible()
    axe("waitlist form with its errors")


def test_the_booking_pages_waitlist_button_fills_in_the_add_form(page: Page, clinic, axe):
    """No free time suits: "Put on the waitlist" opens the add form with the patient, the
    doctor and the day chosen on the booking page, the reason typed there as the note, and
    without the unsaved-changes guard asking (the booking form itself goes there)."""
    visit, _waiters = clinic
    patient = PatientFactory(first_name="Dee", last_name="Nofreetime")
    log_in(page, "frontdesk")
    page.goto(
        f"/appointments/book/?patient={patient.pk}&doctor={visit.doctor.pk}"
        f"&from_date={DAY.isoformat()}"
    )
    page.get_by_label("Reason for the visit").fill("Palpitations at night")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.get_by_role("button", name="Put on the waitlist").click()
    page.wait_for_load_state()

    expect(page.locator("h1")).to_have_text("Add a patient to the waitlist")
    assert dialogs == []
    expect(page.get_by_label("Patient's MRN")).to_have_value(patient.mrn)
    expect(page.get_by_label("Doctor")).to_have_value(str(visit.doctor.pk))
    expect(page.get_by_label("From")).to_have_value(DAY.isoformat())
    expect(page.get_by_label("Note")).to_have_value("Palpitations at night")
    axe("waitlist form filled in from the booking page")
    page.get_by_role("button", name="Add to the waitlist").click()
    page.wait_for_load_state()

    expect(page.locator("h1")).to_have_text("Waitlist")
    expect(page.get_by_role("alert")).to_contain_text("Dee Nofreetime")
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.doctor_id, entry.day_from, entry.note) == (
        visit.doctor.pk,
        DAY,
        "Palpitations at night",
    )
