"""An administrator brings in the hospital's workbook in a real browser: upload, read the
check, confirm, then answer "how busy is each doctor?" on screen and as CSV; then uploads a
corrected workbook, reads each update field by field (a doctor's old and new name) and
confirms the updates apart from the new records; then a third, whose updates to a patient with
visits and to the administrator's own doctor record are called out, and confirms its new record
only, leaving both as they were."""

import csv
import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from core import roles
from doctors.models import Doctor
from patients.models import Patient
from tests.e2e.axe import assert_accessible
from tests.e2e.test_login_journey import PASSWORD, log_in
from tests.factories import UserFactory
from tests.imports.helpers import HEADERS, SAMPLE_XLSX, copy_sample, sample_rows
from tests.jobs.helpers import worker_process

pytestmark = pytest.mark.e2e

User = get_user_model()


def _expected_workload() -> dict[str, dict[str, int]]:
    """Appointments per doctor code by status, counted from the sample's CSV with the csv
    module (not by the application)."""
    counts: dict[str, Counter] = {}
    for row in sample_rows("Appointment"):
        status = row["Status"].strip().lower().replace("-", " ").replace(" ", "_")
        counts.setdefault(row["DoctorID"], Counter())[status] += 1
    return {code: {"total": sum(c.values()), **c} for code, c in counts.items()}


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    """A job worker, as `make run` starts one beside the web server."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with worker_process(tmp_path / "worker.log", "--queues", "imports") as process:
        yield process


def test_it_imports_the_sample_workbook_and_downloads_the_doctor_workload(
    page, console_errors, live_server, transactional_db, role_groups, tmp_path, worker
):
    UserFactory(username="admin", role=roles.ADMINISTRATOR)
    expected = _expected_workload()

    log_in(page, "admin", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.locator("h1")).to_have_text("Import a hospital workbook")
    page.get_by_label(re.compile(r"^\s*Workbook\W*$")).set_input_files(SAMPLE_XLSX)
    page.get_by_role("button", name="Upload and check").click()

    # The check runs in the worker; the page refreshes itself until it is done.
    expect(page.get_by_test_id("outcome")).to_contain_text("The workbook is valid", timeout=60_000)
    patients = len(sample_rows("Patient"))
    expect(page.locator('[data-testid=counts] tr[data-sheet="Patient"] td').nth(1)).to_have_text(
        str(patients)
    )
    assert Patient.objects.count() == 0  # nothing is written before the confirmation
    page.get_by_role("button", name="Confirm and import").click()

    # The import runs in the worker; the page refreshes itself until it is done.
    expect(page.get_by_test_id("outcome")).to_contain_text("Imported in", timeout=60_000)
    expect(page.locator("[data-status=imported]")).to_have_text("Imported")
    assert Patient.objects.count() == patients
    page.get_by_role("link", name="Doctor workload").click()

    expect(page.locator("h1")).to_have_text("Doctor workload")
    # The page covers the last 90 days; the workbook's appointments are older: ask for theirs.
    days = sorted(row["Date"] for row in sample_rows("Appointment"))
    page.get_by_label("From", exact=True).fill(days[0])
    page.get_by_label("To", exact=True).fill(days[-1])
    page.get_by_role("button", name="Show").click()
    table = page.locator("table[data-report-table=doctor-workload]")
    for code, counts in expected.items():
        expect(table.locator("tr", has_text=code)).to_contain_text(str(counts["total"]))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "workload.csv"
    download_info.value.save_as(saved)

    with saved.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:9] == [
        "doctor_code",
        "doctor_name",
        "specialty",
        "total",
        "completed",
        "cancelled",
        "no_show",
        "scheduled",
        "checked_in",
    ]
    got = {
        row["doctor_code"]: {
            key: int(row[key])
            for key in ("total", "completed", "cancelled", "no_show", "scheduled")
            if int(row[key])
        }
        for row in rows
    }
    assert got == expected

    # A corrected workbook: D0001, whose record is now a doctor's login, renamed; one patient
    # more.
    first = sample_rows("Doctor")[0]
    lambert = UserFactory(username="drlambert", role=roles.DOCTOR)
    Doctor.objects.filter(code=first["DoctorID"]).update(user=lambert)
    patient = {**sample_rows("Patient")[0], "PatientID": "P0999", "Fname": "Newly"}

    def correct(sheet, rows):
        if sheet == "Doctor":
            rows[0]["Fname"] = "Lesley"
        if sheet == "Patient":
            rows.append(patient)

    folder = copy_sample(tmp_path / "corrected", correct)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_label(re.compile(r"^\s*Workbook\W*$")).set_input_files(
        [folder / f"{name}.csv" for name in HEADERS]
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("The workbook is valid", timeout=60_000)
    expect(page.get_by_test_id("plan-summary")).to_contain_text("update 1 record")
    change = page.locator('[data-testid=changes] tr[data-change="D0001"]')
    expect(change).to_contain_text("First name")
    expect(change.locator("td").nth(2)).to_have_text(first["Fname"])
    expect(change.locator("td").nth(3)).to_have_text("Lesley")
    expect(change).to_contain_text("Signs in")
    expect(change).to_contain_text("drlambert signs in as this doctor")
    assert_accessible(page, "import check listing an update field by field")
    updates = page.get_by_label("Also apply 1 update to existing records")
    expect(updates).not_to_be_checked()
    updates.check()
    page.get_by_role("button", name="Confirm and import").click()

    expect(page.get_by_test_id("outcome")).to_contain_text("Imported in", timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("What was updated"))).to_be_visible()
    assert_accessible(page, "import done, with the updates applied")
    assert Doctor.objects.get(code=first["DoctorID"]).first_name == "Lesley"
    assert Patient.objects.filter(mrn="P0999").exists()

    # A third workbook: a new phone for a patient who has visits, a new first name for the
    # doctor's record the administrator signs in as, and one patient more. Both updates are
    # called out (the second as their own record); the new record only is confirmed, and the
    # patient and the doctor are left as they were.
    second = sample_rows("Doctor")[1]
    Doctor.objects.filter(code=second["DoctorID"]).update(user=User.objects.get(username="admin"))
    seen = sample_rows("PatientsAttendAppointments")[0]["PatientID"]
    visits = sum(1 for row in sample_rows("PatientsAttendAppointments") if row["PatientID"] == seen)
    old_phone = next(row["Contact"] for row in sample_rows("Patient") if row["PatientID"] == seen)
    newer = {**sample_rows("Patient")[0], "PatientID": "P0998", "Fname": "Newer"}

    def correct_again(sheet, rows):
        correct(sheet, rows)
        if sheet == "Doctor":
            rows[1]["Fname"] = "Morgan"
        if sheet == "Patient":
            next(row for row in rows if row["PatientID"] == seen)["Contact"] = "555-999-0030"
            rows.append(newer)

    folder = copy_sample(tmp_path / "third", correct_again)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_label(re.compile(r"^\s*Workbook\W*$")).set_input_files(
        [folder / f"{name}.csv" for name in HEADERS]
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("The workbook is valid", timeout=60_000)
    expect(page.get_by_test_id("plan-summary")).to_contain_text("update 2 records")
    own = page.locator(f'[data-testid=changes] tr[data-change="{second["DoctorID"]}"]')
    expect(own).to_have_attribute("data-risk", "login")
    expect(own).to_contain_text("Your own record")
    expect(own.get_by_test_id("why")).to_contain_text("admin signs in as this doctor")
    expect(own.locator("td").nth(3)).to_have_text("Morgan")
    change = page.locator(f'[data-testid=changes] tr[data-change="{seen}"]')
    expect(change).to_have_attribute("data-risk", "chart")
    expect(change).to_contain_text("Has visits or history")
    expect(change.get_by_test_id("why")).to_contain_text(
        f"This patient already has {visits} visit{'s' if visits > 1 else ''}"
    )
    expect(change.locator("td").nth(2)).to_have_text(old_phone)
    expect(change.locator("td").nth(3)).to_have_text("555-999-0030")
    assert_accessible(page, "import check calling out a patient with visits")
    expect(page.get_by_label("Also apply 2 updates to existing records")).not_to_be_checked()
    page.get_by_role("button", name="Confirm and import").click()

    expect(page.get_by_test_id("outcome")).to_contain_text("Imported in", timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("Updates not applied"))).to_be_visible()
    assert_accessible(page, "import done, the new record only")
    assert Patient.objects.get(mrn=seen).phone == old_phone
    assert Doctor.objects.get(code=second["DoctorID"]).first_name == second["Fname"]
    assert Patient.objects.get(mrn="P0998").first_name == "Newer"
    assert console_errors == []
