"""Money after issue, with hand-worked figures: credit notes instead of voiding paid invoices,
refunds, deposits and the patient's account, the cashier's day close; and the database's own
refusals when something is written around the services.

The patient's bill: an appendectomy at 400.00 and a consultation at 80.00, no tax: 480.00.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing import cashier, rule, services
from billing.models import (
    AccountEntry,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    Refund,
)
from billing.services import money
from core.models import AuditEvent
from tests.billing.factories import drafted, issued, surgery, visit
from tests.billing.test_pdf import text_of
from tests.factories import PatientFactory, ProcedureFeeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = timezone.localdate().year


@pytest.fixture
def clerk():
    return UserFactory(username="cashier1", first_name="Cora", last_name="Cash")


@pytest.fixture
def patient():
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")
    return patient


def pay(invoice, amount, by, method=PaymentMethod.CASH):
    return services.payment_record(invoice=invoice, amount=D(amount), method=method, by=by)


def fresh(invoice) -> Invoice:
    return Invoice.objects.with_paid().get(pk=invoice.pk)


def check_now() -> None:
    """What the commit checks, now (a test's transaction never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS billing_money_balances IMMEDIATE")
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")


def db_balance(invoice) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute("SELECT billing_invoice_balance(%s)", [invoice.pk])
        return cursor.fetchone()[0]


# --- Credit notes ---------------------------------------------------------------------------


def test_a_paid_invoice_is_credited_refunded_and_billed_again_correctly(patient, clerk):
    invoice = issued(patient, by=clerk)
    pay(invoice, "304.10", clerk)
    pay(invoice, "175.90", clerk)
    assert fresh(invoice).status == InvoiceStatus.PAID

    note = services.credit_note_issue(
        invoice=invoice,
        reason="Billed under the wrong insurer",
        refund_method="card",
        refund_reference="POS 7781",
        by=clerk,
    )

    invoice = fresh(invoice)
    assert note.number == f"CN-{YEAR}-000001"
    assert (note.subtotal, note.tax, note.total) == (D("480.00"), D("0.00"), D("480.00"))
    assert invoice.status == InvoiceStatus.CREDITED and invoice.balance == D("0.00")
    assert db_balance(invoice) == D("0.00")
    refund = Refund.objects.get(invoice=invoice)
    assert (refund.amount, refund.method, refund.reference) == (D("480.00"), "card", "POS 7781")
    assert not InvoiceLine.objects.filter(invoice=invoice, is_active=True).exists()
    # The freed items go on a corrected invoice, which owes them in full and shows no payment.
    again = issued(patient, by=clerk)
    assert (fresh(again).total, fresh(again).paid, fresh(again).balance) == (
        D("480.00"),
        D("0.00"),
        D("480.00"),
    )
    assert money.account_balance(patient) == D("0.00")
    text = text_of(note.pdf)
    assert "CREDIT NOTE" in text and note.number in text and invoice.number in text
    assert "-USD\xa0480.00" in text and "Billed under the wrong insurer" in text
    assert "refunded by Card" in text
    check_now()


def test_money_paid_can_stay_on_the_account_and_pay_the_corrected_invoice(patient, clerk):
    invoice = issued(patient, by=clerk)
    pay(invoice, "100.00", clerk)

    services.credit_note_issue(invoice=invoice, reason="Wrong price", settle="account", by=clerk)

    assert money.account_balance(patient) == D("100.00")
    assert not Refund.objects.exists()
    again = issued(patient, by=clerk)
    payment = services.account_apply(invoice=again, by=clerk)
    again = fresh(again)
    assert (payment.amount, payment.method) == (D("100.00"), PaymentMethod.ACCOUNT)
    assert (again.paid, again.balance, again.status) == (D("100.00"), D("380.00"), "issued")
    assert money.account_balance(patient) == D("0.00")
    check_now()


def test_credit_note_numbers_are_their_own_gapless_series(clerk):
    numbers = []
    for _ in range(3):
        patient = PatientFactory()
        visit(patient, fee="10.00")
        numbers.append(
            services.credit_note_issue(invoice=issued(patient), reason="Test", by=clerk).number
        )
    assert numbers == [f"CN-{YEAR}-{n:06d}" for n in (1, 2, 3)]
    assert Invoice.objects.filter(number__startswith="CN").count() == 0


def test_a_credit_note_needs_a_reason_a_settlement_and_an_issued_invoice(patient, clerk):
    invoice = issued(patient, by=clerk)
    pay(invoice, "50.00", clerk)
    with pytest.raises(ValidationError, match="reason"):
        services.credit_note_issue(invoice=invoice, reason="  ", by=clerk)
    with pytest.raises(ValidationError, match="cash, card or bank transfer"):
        services.credit_note_issue(invoice=invoice, reason="x", refund_method="", by=clerk)
    assert fresh(invoice).status == InvoiceStatus.ISSUED and not CreditNote.objects.exists()
    with pytest.raises(ValidationError, match="only an issued or paid invoice"):
        services.credit_note_issue(invoice=drafted(PatientFactory()), reason="x", by=clerk)


def test_the_credit_note_is_audited_with_what_happened_to_the_money(patient, clerk):
    invoice = issued(patient, by=clerk)
    pay(invoice, "480.00", clerk)
    note = services.credit_note_issue(
        invoice=invoice, reason="Duplicate", refund_method="cash", by=clerk
    )
    event = AuditEvent.objects.get(object_type="billing.creditnote", object_id=str(note.pk))
    assert event.changes["paid_settled"]["after"] == "480.00 refund"
    assert event.changes["lines_freed"]["after"] == 2


# --- Deposits and the account ---------------------------------------------------------------


def test_a_deposit_before_surgery_pays_part_of_the_invoice(patient, clerk):
    services.deposit_take(
        patient=patient, amount="300.00", method="cash", note="Appendectomy", by=clerk
    )
    invoice = issued(patient, by=clerk)

    services.account_apply(invoice=invoice, by=clerk)
    pay(invoice, "180.00", clerk)

    invoice = fresh(invoice)
    assert (invoice.paid, invoice.balance, invoice.status) == (D("480.00"), D("0.00"), "paid")
    assert money.account_balance(patient) == D("0.00")
    check_now()


def test_an_account_refund_never_takes_more_than_the_account_holds(patient, clerk):
    services.deposit_take(patient=patient, amount="200.00", method="cash", by=clerk)
    services.account_refund(patient=patient, amount="50.00", method="card", reason="Less", by=clerk)
    assert money.account_balance(patient) == D("150.00")

    with pytest.raises(ValidationError) as refused:
        services.account_refund(
            patient=patient, amount="200.00", method="cash", reason="All", by=clerk
        )
    assert "holds USD\xa0150.00" in refused.value.messages[0]
    assert money.account_balance(patient) == D("150.00")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "NaN", "Infinity", "1e20", "ten"])
def test_a_deposit_refuses_amounts_that_are_not_money(patient, clerk, amount):
    with pytest.raises(ValidationError):
        services.deposit_take(patient=patient, amount=amount, method="cash", by=clerk)
    assert not AccountEntry.objects.exists()


# --- The minimum charge and payment dates ---------------------------------------------------


def test_the_minimum_charge_bills_a_patient_once_and_never_again_for_nothing(clerk):
    patient = PatientFactory()
    first = issued(patient, by=clerk)
    assert first.total == D("50.00")

    with pytest.raises(ValidationError, match="Nothing new to bill"):
        drafted(patient, by=clerk)
    assert Invoice.objects.filter(patient=patient).count() == 1


def test_a_payment_cannot_be_dated_before_the_invoice_was_issued(patient, clerk):
    invoice = issued(patient, by=clerk)
    for when in (
        datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
        invoice.issued_at - datetime.timedelta(days=3),
    ):
        with pytest.raises(ValidationError, match="cannot be dated earlier"):
            services.payment_record(
                invoice=invoice, amount=D("1.00"), method="cash", received_at=when, by=clerk
            )
    assert fresh(invoice).paid == D("0.00")


def test_the_database_refuses_a_payment_dated_year_one(patient):
    invoice = issued(patient)
    with pytest.raises(IntegrityError, match="cannot be dated"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_payment (created_at, updated_at, invoice_id, amount, method,"
                " received_at, reference) VALUES (now(), now(), %s, 1, 'cash', '0001-01-01', '')",
                [invoice.pk],
            )


# --- What the database holds whatever writes ------------------------------------------------


def test_the_database_refuses_a_refund_of_money_never_paid(patient):
    invoice = issued(patient)
    pay(invoice, "100.00", None)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Refund.objects.create(
            patient=patient,
            invoice=invoice,
            amount=D("100.01"),
            method="cash",
            reason="x",
            refunded_at=timezone.now(),
        )
        check_now()


def test_the_database_refuses_a_credit_note_whose_money_is_not_settled(patient):
    invoice = issued(patient)
    pay(invoice, "100.00", None)
    with pytest.raises(IntegrityError, match="does not balance|says otherwise"):
        with transaction.atomic():
            CreditNote.objects.create(
                number=f"CN-{YEAR}-000009",
                invoice=invoice,
                patient=patient,
                subtotal=invoice.total,
                tax=D("0"),
                total=invoice.total,
                currency="USD",
                reason="x",
                issued_at=timezone.now(),
                pdf=b"%PDF",
                pdf_sha256="0" * 64,
            )
            Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CREDITED)
            check_now()


def test_the_database_refuses_an_account_below_zero(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            patient=patient,
            kind="refunded",
            amount=D("-1.00"),
            refund=Refund.objects.create(
                patient=patient,
                amount=D("1.00"),
                method="cash",
                reason="x",
                refunded_at=timezone.now(),
            ),
            received_at=timezone.now(),
        )
        check_now()


# --- The cashier's day ------------------------------------------------------------------------


@pytest.fixture
def busy_day(patient, clerk):
    """Cora's day: 480.00 cash and 50.00 card in payments, a 300.00 cash deposit, and a 120.00
    cash refund from an account."""
    invoice = issued(patient, by=clerk)
    pay(invoice, "480.00", clerk)
    other = PatientFactory(first_name="Bea", last_name="Good")
    visit(other, fee="50.00")
    pay(issued(other, by=clerk), "50.00", clerk, method="card")
    services.deposit_take(patient=other, amount="300.00", method="cash", by=clerk)
    services.account_refund(
        patient=other, amount="120.00", method="cash", reason="Surgery postponed", by=clerk
    )
    return timezone.localdate()


def test_the_day_adds_up_by_method_and_expects_the_cash(busy_day, clerk):
    day = cashier.cashier_day(cashier=clerk, day=busy_day)

    by_method = {
        row["method"]: (row["payments"], row["deposits"], row["refunds"]) for row in day.methods
    }
    assert by_method["cash"] == (D("480.00"), D("300.00"), D("120.00"))
    assert by_method["card"] == (D("50.00"), D("0.00"), D("0.00"))
    assert (day.payments, day.deposits, day.refunds, day.net) == (
        D("530.00"),
        D("300.00"),
        D("120.00"),
        D("710.00"),
    )
    assert day.expected_cash == D("660.00")
    assert [m["what"] for m in day.movements] == ["Payment", "Payment", "Deposit", "Refund"]
    # Someone else's day holds none of it.
    assert cashier.cashier_day(cashier=UserFactory(), day=busy_day).net == D("0.00")


def test_a_closed_day_prints_its_sheet_and_takes_no_more_money(busy_day, clerk, patient):
    close = cashier.cashier_day_close(
        cashier=clerk, day=busy_day, counted_cash=D("655.00"), by=clerk
    )

    text = text_of(close.pdf)
    assert "CASHIER'S DAY CLOSE" in text and "Cora Cash" in text
    assert "USD\xa0660.00" in text and "USD\xa0655.00" in text and "-USD\xa05.00" in text
    assert close.expected_cash == D("660.00") and close.figures["net"] == "710.00"
    again = PatientFactory()
    visit(again, fee="20.00")
    invoice = issued(again, by=clerk)
    with pytest.raises(ValidationError, match="is closed"):
        pay(invoice, "20.00", clerk)
    with pytest.raises(ValidationError, match="is closed"):
        services.deposit_take(patient=again, amount="5.00", method="cash", by=clerk)
    with pytest.raises(ValidationError, match="already closed"):
        cashier.cashier_day_close(cashier=clerk, day=busy_day, by=clerk)
    # Written around the service, the database refuses it too.
    with pytest.raises(IntegrityError, match="closed"), transaction.atomic():
        services.payments.Payment.objects.create(
            invoice=invoice,
            amount=D("1.00"),
            method="cash",
            received_at=timezone.now(),
            received_by=clerk,
        )
    assert fresh(invoice).paid == D("0.00")
    # Another cashier's day is still open.
    pay(invoice, "20.00", UserFactory())


def test_a_day_in_the_future_cannot_be_closed(clerk):
    with pytest.raises(ValidationError, match="future"):
        cashier.cashier_day_close(
            cashier=clerk, day=timezone.localdate() + datetime.timedelta(days=1), by=clerk
        )


def test_the_rule_and_the_database_agree_on_every_balance(patient, clerk):
    invoice = issued(patient, by=clerk)
    pay(invoice, "80.00", clerk)
    assert db_balance(invoice) == fresh(invoice).balance == D("400.00")
    assert rule.ZERO == D("0.00")


# --- Amounts no bill can hold ----------------------------------------------------------------


def test_a_price_list_refuses_a_price_typed_with_too_many_digits():
    from billing.forms import MedicationCostForm

    form = MedicationCostForm(
        data={"name": "Gold", "unit_cost": "9999999999.99", "is_active": "on"}
    )

    assert not form.is_valid()
    assert "Enter at most 1,000,000.00." in form.errors["unit_cost"]
    assert form["name"].value() == "Gold"


def test_a_bill_too_large_for_an_invoice_is_refused_clearly_and_the_reports_still_work(
    admin_client, clerk
):
    from django.urls import reverse

    from billing.models import MedicationCost
    from tests.billing.factories import medication

    patient = PatientFactory()
    drug = MedicationCost.objects.create(name="Rare enzyme", unit_cost=D("1000000.00"))
    medication(patient, "Rare enzyme", medication=drug, quantity=D("20000"))

    with pytest.raises(ValidationError, match="more than one invoice can hold"):
        drafted(patient, by=clerk)
    assert not Invoice.objects.filter(patient=patient).exists()

    page = admin_client.get(reverse("reports:report_detail", args=["patient-bills"]))
    csv = admin_client.get(reverse("reports:report_csv", args=["patient-bills"]))
    assert page.status_code == 200 and "20,000,000,000.00" in page.content.decode().replace(
        "20000000000.00", "20,000,000,000.00"
    )
    body = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "20000000000.00" in body
