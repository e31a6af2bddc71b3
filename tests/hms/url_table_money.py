"""The URL table's rows for money after issue: credit notes, the patient's account, the
cashier's day, print batches (billing clerks and administrators)."""

from __future__ import annotations

from tests.hms.url_kit import (
    ADMIN,
    BAD,
    BILLING,
    DENIED,
    FOUND,
    INVOICE_VIEWERS,
    MISSING,
    OK,
    POST_ONLY,
    Row,
    _pdf,
    allowed,
    expect,
)

MONEY_ROWS: list[Row] = [
    # --- Money after issue: billing (and administrators) ---------------------------------
    Row(
        "billing:credit_note_create",
        POST_ONLY,
        args=("invoice",),
        post=expect(**allowed(BILLING, FOUND)),
        data={"credit-reason": "Entered twice"},
    ),
    # The account holds nothing: the page comes back with the reason (400).
    Row(
        "billing:account_apply",
        POST_ONLY,
        args=("invoice",),
        post=expect(**allowed(BILLING, BAD)),
        data={"account-amount": "1.00"},
    ),
    # Someone else's print batch: administrators only (a clerk sees their own, 404 for others).
    Row(
        "billing:batch_detail",
        expect(MISSING, doctor=DENIED, other_doctor=DENIED, outsider=DENIED, admin_user=OK),
        args=("batch",),
    ),
    Row(
        "billing:batch_pdf",
        expect(MISSING, doctor=DENIED, other_doctor=DENIED, outsider=DENIED, admin_user=OK),
        args=("batch",),
        check=_pdf,
    ),
    Row("billing:credit_note_pdf", expect(**INVOICE_VIEWERS), args=("credit_note",), check=_pdf),
    Row("billing:patient_account", expect(**BILLING), args=("patient",)),
    Row(
        "billing:deposit_create",
        POST_ONLY,
        args=("patient",),
        post=expect(**allowed(BILLING, FOUND)),
        data={"deposit-amount": "1.00", "deposit-method": "cash"},
    ),
    Row(
        "billing:account_refund_create",
        POST_ONLY,
        args=("patient",),
        post=expect(**allowed(BILLING, BAD)),
        data={"refund-amount": "1.00", "refund-method": "cash", "refund-reason": "x"},
    ),
    Row("billing:cashier_day", expect(**BILLING)),
    Row(
        "billing:cashier_day_close",
        POST_ONLY,
        post=expect(**allowed(BILLING, FOUND)),
        data={"counted_cash": "0.00"},
    ),
    # Another cashier's sheet: administrators only (a clerk prints their own).
    Row("billing:day_close_pdf", expect(**ADMIN), args=("day_close",), check=_pdf),
]
