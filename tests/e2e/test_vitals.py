"""Vital signs in a real browser: a doctor records them on the visit page in place (a 300 °C
temperature says what to fix and nothing typed is lost), completes the visit, and sees the
trends on the chart, flagged, with their table; each state passes axe-core, and the chart
prints without the page's navigation."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import AppointmentStatus
from clinical.vitals_models import VitalsReading
from core import roles
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.second_factor import give_authenticator
from tests.e2e.test_visit_keeps_typing import field, open_visit, screenshot
from tests.factories import DoctorFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def visit(transactional_db, role_groups):
    """Today's visit of Ada, started, and three earlier visits with a blood pressure climbing
    (138/86, 144/90, 148/92): the chart's trend before today."""
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    give_authenticator(user)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    pressures = ((138, 86), (144, 90), (148, 92))
    for months, (systolic, diastolic) in zip((3, 2, 1), pressures, strict=True):
        earlier = checked_in_visit(
            doctor=doctor, patient=patient, start=today_at(9, days=-30 * months)
        )
        earlier.started_at = earlier.checked_in_at + datetime.timedelta(minutes=10)
        earlier.completed_at = earlier.checked_in_at + datetime.timedelta(minutes=30)
        earlier.save()
        earlier.appointment.status = AppointmentStatus.COMPLETED
        earlier.appointment.save()
        VitalsReading.objects.create(
            attendance=earlier,
            taken_at=earlier.checked_in_at + datetime.timedelta(minutes=15),
            systolic=systolic,
            diastolic=diastolic,
            pulse=76,
            temperature=Decimal("36.8"),
        )
    return checked_in_visit(doctor=doctor, patient=patient, start=today_at(9), started=True)


def vitals(page: Page):
    return page.get_by_test_id("visit-section-vitals")


def test_a_doctor_records_vitals_in_place_and_sees_the_trend_on_the_chart(
    page, console_errors, live_server, visit, axe
):
    open_visit(page, visit)
    field(page, "Concerns (in the patient's words)").fill("Feels hot since last night")
    typed = {
        "Systolic pressure (mmHg)": "156",
        "Diastolic pressure (mmHg)": "98",
        "Pulse (/min)": "112",
        "Temperature (°C)": "300",
        "SpO₂ (%)": "93",
    }
    for label, value in typed.items():
        field(page, label).fill(value)
    page.evaluate("window.sameDocument = true")

    # A slip: 300 °C. The message says what to fix; nothing typed is lost, on the same page.
    page.get_by_role("button", name="Record vital signs").click()
    expect(vitals(page)).to_contain_text(
        "Temperature 300 °C is not plausible: enter between 25 and 45 °C."
    )
    for label, value in typed.items():
        expect(field(page, label)).to_have_value(value)
    expect(field(page, "Concerns (in the patient's words)")).to_have_value(
        "Feels hot since last night"
    )
    assert page.evaluate("window.sameDocument") is True
    assert not VitalsReading.objects.filter(attendance=visit).exists()
    axe("visit page, a vital sign refused beside its field")

    # Fixed: recorded in place, flagged, the fields empty for the next reading.
    field(page, "Temperature (°C)").fill("38.6")
    page.get_by_role("button", name="Record vital signs").click()
    expect(vitals(page).get_by_role("status")).to_contain_text("Recorded: Systolic pressure 156")
    readings = vitals(page).get_by_test_id("vitals-readings")
    expect(readings).to_contain_text("156/98")
    expect(readings).to_contain_text("38.6")
    expect(readings.locator("[data-flag=high]")).to_have_count(3)  # BP, pulse, temperature
    expect(readings.locator("[data-flag=low]")).to_have_count(1)  # SpO₂ 93
    expect(field(page, "Temperature (°C)")).to_have_value("")
    expect(field(page, "Concerns (in the patient's words)")).to_have_value(
        "Feels hot since last night"
    )
    assert page.evaluate("window.sameDocument") is True
    axe("visit page, vital signs recorded and flagged")
    screenshot(page, "visit-vitals.png")

    # Complete the visit: the chart shows the latest values and the trends.
    page.get_by_role("button", name="Complete visit").click()
    expect(page).to_have_url(re.compile(rf"/clinical/patients/{visit.patient_id}/$"))
    latest = page.get_by_test_id("vitals-latest")
    expect(latest).to_contain_text("156/98")
    expect(latest).to_contain_text("38.6")
    pressure = page.locator('svg[data-chart="vitals-blood_pressure"]')
    expect(pressure).to_be_visible()
    expect(pressure.locator("circle")).to_have_count(4)  # four readings, oldest first
    # Systolic 144, 148, 156 and diastolic 90, 92, 98: high.
    expect(pressure.locator("text", has_text=re.compile("^H$"))).to_have_count(6)
    expect(pressure).to_have_attribute("role", "img")
    expect(page.locator("#vitals-blood_pressure-desc")).to_contain_text("latest 156 mmHg / 98 mmHg")
    table = page.get_by_test_id("vitals-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tbody tr").first).to_contain_text("156/98")
    axe("chart with vital-sign trends")
    screenshot(page, "chart-vitals.png")

    # On paper: the charts and the table, without the navigation.
    page.emulate_media(media="print")
    expect(pressure).to_be_visible()
    expect(table).to_be_visible()
    expect(page.locator("nav.navbar")).to_be_hidden()

    # The completed visit's page lists its reading, read only.
    page.emulate_media(media="screen")
    page.goto(f"/clinical/visits/{visit.pk}/")
    done = page.get_by_test_id("vitals-readings")
    expect(done).to_contain_text("156/98")
    expect(done.locator("[data-flag=high]")).to_have_count(3)
    expect(page.get_by_role("button", name="Record vital signs")).to_have_count(0)
    axe("completed visit with its vital signs")

    visit.refresh_from_db()
    assert visit.completed_at is not None and visit.completed_at <= timezone.now()
    assert console_errors == []
