"""Whatever a clerk does, in any order, the money reconciles.

Hypothesis draws sequences of issue, pay, credit (refund or keep), deposit, use the account,
refund the account and void; after every step the database's own check runs (as at a commit)
and these hold:

- every invoice's balance, in the database, is total - credited - paid + refunded + moved,
  and what the invoice page shows;
- money in over the counter (payments not from the account, deposits) minus refunds equals
  what the invoices keep plus what the account holds.
"""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import AccountEntry, CreditNote, Invoice, InvoiceStatus, Payment, Refund
from billing.services import money
from tests.billing.factories import issued, visit
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
CENT = D("0.01")

step = st.one_of(
    st.tuples(st.just("issue"), st.integers(1, 500)),
    st.tuples(st.just("pay"), st.integers(0, 9), st.integers(1, 100)),
    st.tuples(st.just("credit"), st.integers(0, 9), st.sampled_from(["refund", "account"])),
    st.tuples(st.just("deposit"), st.integers(1, 800)),
    st.tuples(st.just("apply"), st.integers(0, 9)),
    st.tuples(st.just("refund_account"), st.integers(1, 100)),
    st.tuples(st.just("void"), st.integers(0, 9)),
)


def _sum(queryset, field="amount") -> Decimal:
    return queryset.aggregate(s=Sum(field))["s"] or D("0.00")


def _part(amount: Decimal, percent: int) -> Decimal:
    return max(CENT, (amount * percent / 100).quantize(CENT))


def _run(action, patient, clerk) -> None:
    kind = action[0]
    invoices = list(Invoice.objects.filter(patient=patient).order_by("pk"))
    pick = (lambda status: [i for i in invoices if i.status in status]) if invoices else None
    if kind == "issue":
        visit(patient, fee=str(D(action[1])))
        issued(patient, by=clerk)
    elif kind == "pay" and pick and (open_ := pick({InvoiceStatus.ISSUED})):
        invoice = open_[action[1] % len(open_)]
        services.payment_record(
            invoice=invoice, amount=_part(invoice.balance, action[2]), method="cash", by=clerk
        )
    elif kind == "credit" and pick and (done := pick({InvoiceStatus.ISSUED, InvoiceStatus.PAID})):
        invoice = done[action[1] % len(done)]
        services.credit_note_issue(
            invoice=invoice, reason="Test", settle=action[2], refund_method="cash", by=clerk
        )
    elif kind == "deposit":
        services.deposit_take(patient=patient, amount=D(action[1]), method="cash", by=clerk)
    elif kind == "apply" and pick and (open_ := pick({InvoiceStatus.ISSUED})):
        if money.account_balance(patient) > 0:
            services.account_apply(invoice=open_[action[1] % len(open_)], by=clerk)
    elif kind == "refund_account":
        held = money.account_balance(patient)
        if held > 0:
            services.account_refund(
                patient=patient, amount=_part(held, action[1]), method="cash", reason="t", by=clerk
            )
    elif kind == "void" and pick:
        unpaid = [i for i in pick({InvoiceStatus.ISSUED}) if not i.payments.exists()]
        if unpaid:
            services.invoice_void(invoice=unpaid[action[1] % len(unpaid)], reason="t", by=clerk)


def _reconciles(patient) -> None:
    with connection.cursor() as cursor:  # what the commit would check, now
        cursor.execute("SET CONSTRAINTS billing_money_balances IMMEDIATE")
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")
    kept = D("0.00")
    for invoice in Invoice.objects.with_paid().filter(patient=patient):
        credited = _sum(CreditNote.objects.filter(invoice=invoice), "total")
        refunded = _sum(Refund.objects.filter(invoice=invoice))
        moved = _sum(AccountEntry.objects.filter(invoice=invoice, kind="from_invoice"))
        expected = invoice.total - credited - invoice.paid + refunded + moved
        with connection.cursor() as cursor:
            cursor.execute("SELECT billing_invoice_balance(%s)", [invoice.pk])
            assert cursor.fetchone()[0] == expected
        if invoice.status != InvoiceStatus.VOID:
            assert invoice.balance == expected, invoice.status
        kept += invoice.paid - refunded - moved
    cash_in = _sum(Payment.objects.filter(invoice__patient=patient).exclude(method="account"))
    deposits = _sum(AccountEntry.objects.filter(patient=patient, kind="deposit"))
    given_back = _sum(Refund.objects.filter(patient=patient))
    assert cash_in + deposits - given_back == kept + money.account_balance(patient)
    assert money.account_balance(patient) >= 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_any_sequence_of_money_moves_keeps_every_balance(fast_pdf, steps):
    clerk = UserFactory()
    with transaction.atomic():
        patient = PatientFactory()
        for action in steps:
            _run(action, patient, clerk)
            _reconciles(patient)
        transaction.set_rollback(True)
