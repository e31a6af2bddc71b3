"""A billing clerk corrects a paid invoice and closes the day, in a real browser: credit note
with a refund, a deposit on the patient's account, the cashier's day and its printed sheet."""

import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from billing import services
from core import roles
from tests.billing.factories import issued, surgery, visit
from tests.e2e.test_login_journey import PASSWORD, log_in
from tests.factories import PatientFactory, ProcedureFeeFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_it_credits_a_paid_invoice_refunds_takes_a_deposit_and_closes_the_day(
    page, console_errors, live_server, transactional_db, role_groups, tmp_path, axe
):
    clerk = UserFactory(
        username="billing", first_name="Cora", last_name="Cash", role=roles.BILLING_CLERK
    )
    patient = PatientFactory(first_name="Ada", last_name="Byron", mrn="P0007001")
    ProcedureFeeFactory(name="Appendectomy", fee=Decimal("400.00"))
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")
    invoice = issued(patient, by=clerk)
    services.payment_record(invoice=invoice, amount=Decimal("480.00"), method="cash", by=clerk)

    log_in(page, "billing", PASSWORD)
    page.goto(live_server.url + invoice.get_absolute_url())
    expect(page.get_by_test_id("invoice-state")).to_have_text("Paid")
    expect(page.get_by_role("button", name="Void invoice")).to_have_count(0)
    axe("paid invoice")

    # Forgetting the refund method: the page says so and keeps the reason typed.
    page.get_by_label("Reason for the credit note").fill("Billed under the wrong insurer")
    page.get_by_label("Refund it to the patient").check()
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_text("Say how the money is refunded.")).to_be_visible()
    expect(page.get_by_label("Reason for the credit note")).to_have_value(
        "Billed under the wrong insurer"
    )
    axe("credit note sent back for its refund method")

    page.get_by_label("Refund by").select_option("cash")
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_role("alert")).to_contain_text("credits " + invoice.number + " in full")
    expect(page.get_by_test_id("invoice-state")).to_have_text("Credited")
    expect(page.get_by_test_id("credit-note")).to_contain_text("-000001")
    expect(page.get_by_test_id("refunds")).to_contain_text("-USD\u00a0480.00")
    expect(page.get_by_test_id("balance")).to_have_text("USD\u00a00.00")
    axe("credited invoice with its refund")

    page.get_by_role("link", name="USD\u00a00.00").click()  # the patient's account, from the totals
    expect(page.locator("h1")).to_contain_text("Account of Ada Byron")
    page.get_by_role("spinbutton", name="Deposit").fill("300.00")
    page.get_by_label("Method").first.select_option("cash")
    page.get_by_label("For").fill("Second surgery")
    page.get_by_role("button", name="Take deposit").click()
    expect(page.get_by_test_id("account-held")).to_have_text("USD\u00a0300.00")
    expect(page.get_by_test_id("account-entries")).to_contain_text("Second surgery")
    axe("patient's account with a deposit")

    page.get_by_role("link", name="Cashier's day").click()
    expect(page.get_by_test_id("expected-cash")).to_have_text("USD\u00a0300.00")  # 480 + 300 - 480
    expect(page.get_by_test_id("day-movements")).to_contain_text("Refund")
    page.get_by_label("Cash counted in the drawer").fill("300.00")
    page.get_by_role("button", name="Close the day and print the sheet").click()
    expect(page.get_by_test_id("day-closed")).to_be_visible()
    axe("cashier's day, closed")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the close sheet").click()
    saved = tmp_path / "close.pdf"
    download_info.value.save_as(saved)
    text = PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text()
    assert "CASHIER'S DAY CLOSE" in text and "Cora Cash" in text and "300.00" in text
    # The one 400 is the form sent back with its message (Chromium logs every 4xx page).
    assert [e for e in console_errors if "status of 400" not in e] == []
    assert len(console_errors) == 1
