"""A billing clerk's day in a real browser: ready to bill, draft, issue, PDF, payment, paid."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from core import roles
from tests.billing.factories import medication, surgery, visit
from tests.e2e.test_login_journey import PASSWORD, log_in
from tests.factories import MedicationCostFactory, PatientFactory, ProcedureFeeFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_it_bills_a_patient_from_ready_to_bill_to_paid(
    page, console_errors, live_server, transactional_db, role_groups, tmp_path, axe
):
    UserFactory(username="billing", role=roles.BILLING_CLERK)
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0001815")
    MedicationCostFactory(name="Metformin", unit_cost=Decimal("12.50"))
    ProcedureFeeFactory(name="Appendectomy", fee=Decimal("400.00"))
    medication(patient, "metformin")
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")

    log_in(page, "billing", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ready to bill").click()

    expect(page.locator("h1")).to_have_text("Ready to bill")
    row = page.locator("tr", has_text="P0001815")
    expect(row.get_by_test_id("preview-total")).to_have_text("USD\u00a0492.50")
    axe("ready to bill")
    row.get_by_role("button", name="Draft invoice").click()

    expect(page.get_by_test_id("invoice-state")).to_have_text("Draft")
    lines = page.get_by_test_id("invoice-lines")
    for text in ("Metformin", "Appendectomy", "Consultation with Dr"):
        expect(lines).to_contain_text(text)
    axe("draft invoice")
    page.get_by_role("link", name="Issue invoice…").click()
    expect(page.get_by_test_id("confirm-total")).to_have_text("USD\u00a0492.50")
    axe("issue confirmation")
    page.get_by_role("button", name="Issue invoice").click()

    heading = page.locator("h1")
    expect(heading).to_have_text(re.compile(r"Invoice INV-\d{4}-000001"))
    number = heading.inner_text().removeprefix("Invoice ")
    expect(page.get_by_test_id("invoice-state")).to_have_text("Unpaid")
    axe("issued invoice")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    saved = tmp_path / "invoice.pdf"
    download.save_as(saved)
    text = PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text()
    assert number in text and "P0001815" in text and "492.50" in text

    expect(page.get_by_label("Amount")).to_have_value("492.50")
    page.get_by_label("Method").select_option("card")
    page.get_by_label("Reference").fill("POS 4411")
    page.get_by_role("button", name="Record payment").click()

    expect(page.get_by_role("alert")).to_contain_text("Recorded USD\u00a0492.50 by Card")
    expect(page.get_by_test_id("invoice-state")).to_have_text("Paid")
    expect(page.get_by_test_id("balance")).to_have_text("USD\u00a00.00")
    expect(page.get_by_test_id("payments")).to_contain_text("POS 4411")
    axe("paid invoice")

    page.get_by_role("link", name="Invoices", exact=True).first.click()
    expect(page.locator("tr", has_text=number)).to_contain_text("Paid")
    axe("invoice list")
    assert console_errors == []
