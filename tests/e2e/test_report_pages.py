"""A report of many rows shows 50 a page, not 500, in Chromium: 61 appointments of the last
days make a first page of 50 and a next page of the 11 others, each appointment once; the CSV
still has every row. axe-core on both pages."""

import csv
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import AppointmentStatus
from core import roles
from tests.e2e.test_login_journey import PASSWORD, log_in, make_user
from tests.factories import AppointmentFactory, DoctorFactory

pytestmark = pytest.mark.e2e

APPOINTMENTS = 61


def test_the_appointments_report_shows_fifty_rows_a_page(
    page, console_errors, live_server, transactional_db, role_groups, axe, tmp_path
):
    make_user(roles.FRONT_DESK, "frontdesk")
    doctor = DoctorFactory(first_name="Grace", last_name="Hopper")
    # One a day-hour apart, all within the report's default period (the last 90 days).
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=2)
    mrns = set()
    for n in range(APPOINTMENTS):
        at = start - datetime.timedelta(hours=n)
        visit = AppointmentFactory(
            doctor=doctor,
            start=at,
            end=at + datetime.timedelta(minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
        mrns.add(visit.patient.mrn)

    log_in(page, "frontdesk", PASSWORD)
    page.goto("/reports/appointments/")
    table = page.locator("table[data-report-table=appointments]")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(50)
    expect(table.locator("caption")).to_have_text(
        "50 rows on this page, up to 50 a page; more on the next; the CSV download has them all."
    )
    first = set(rows.locator("td:nth-child(2)").all_inner_texts())
    axe("appointments report, first page of 50")

    page.get_by_role("link", name="Next page").click()
    expect(rows).to_have_count(APPOINTMENTS - 50)
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    second = set(rows.locator("td:nth-child(2)").all_inner_texts())
    assert not first & second and first | second == mrns  # each appointment once
    axe("appointments report, its last page")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "appointments.csv"
    download_info.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8-sig") as handle:
        assert {row["mrn"] for row in csv.DictReader(handle)} == mrns
    expect(page).to_have_url(re.compile(r"/reports/appointments/\?.*after="))
    assert console_errors == []
