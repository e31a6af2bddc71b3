"""The revenue report read from its roll-up per local day: the same figures as a pass over the
invoices, after every kind of write, under concurrent payments, in any period; the same
queries whatever the number of invoices."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Invoice, InvoiceStatus, LineKind, Payment, PaymentMethod
from hms.dbroles import as_owner
from reports.selectors import revenue
from tests.billing.conftest import fast_pdf  # noqa: F401 - the fixture, shared
from tests.billing.factories import drafted, issued, surgery, visit
from tests.concurrency import together
from tests.factories import (
    InvoiceFactory,
    InvoiceLineFactory,
    PatientFactory,
    ProcedureFeeFactory,
)
from tests.reports.helpers import at

# Issuing renders no real PDF here (tests/billing/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_pdf")

D = Decimal
_numbers = iter(range(500_000, 1_000_000))


def direct(**period) -> list[tuple]:
    """The figures from the invoices, payments and lines themselves."""
    return list(revenue._revenue_from_invoices(**period).rows)


def rolled(**period) -> list[tuple]:
    return list(revenue.revenue_report(**period).rows)


def written(day, subtotal, *, tax="0.00", status=InvoiceStatus.ISSUED, lines=(), **kw):
    """An invoice written straight to the tables, with its lines: as a loader would."""
    inv = InvoiceFactory(
        number=f"INV-2024-{next(_numbers):06d}",
        status=status,
        issued_at=at(day, 10),
        subtotal=D(subtotal),
        tax=D(tax),
        total=D(subtotal) + D(tax),
        **kw,
    )
    for kind, amount in lines:
        InvoiceLineFactory(invoice=inv, kind=kind, amount=D(amount), unit_price=D(amount))
    return inv


def pay(inv, amount, day=None, hour=12):
    received = at(day, hour) if day else timezone.now()
    return Payment.objects.create(
        invoice=inv, amount=D(amount), method=PaymentMethod.CASH, received_at=received
    )


@pytest.fixture
def billable():
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))

    def make():
        patient = PatientFactory()
        surgery(patient, "Appendectomy")
        visit(patient, fee="80.00")
        return patient

    return make


def mixed_writes(billable) -> None:
    """Every write that moves a figure: issue, payments on other days and months, void,
    credit notes (refund, account), account use, lines added and freed, drafts changed and
    deleted, and rows written around the services."""
    jan, feb, mar = (datetime.date(2024, m, d) for m, d in ((1, 31), (2, 1), (3, 15)))
    a = written(jan, "100.00", tax="7.50", lines=[(LineKind.MEDICATION, "60.00")])
    InvoiceLineFactory(invoice=a, kind=LineKind.SURGERY, amount=D("40.00"))
    pay(a, "30.00", jan, hour=23)
    pay(a, "50.00", feb)
    b = written(feb, "200.00", lines=[(LineKind.CONSULTATION, "200.00")])
    with transaction.atomic():  # paid in full and marked so, in one go
        pay(b, "200.00", mar)
        Invoice.objects.filter(pk=b.pk).update(status=InvoiceStatus.PAID)
    c = written(feb, "70.00", lines=[(LineKind.OTHER, "70.00")])
    Invoice.objects.filter(pk=c.pk).update(
        status=InvoiceStatus.VOID, void_reason="Wrong patient", voided_at=timezone.now()
    )
    c.lines.update(is_active=False)
    written(mar, "0.00", lines=[(LineKind.MINIMUM_CHARGE, "0.00")])
    # Through the services, today.
    in_full = issued(billable())
    services.payment_record(invoice=in_full, amount=D("480.00"), method="card", by=None)
    refunded = issued(billable())
    services.payment_record(invoice=refunded, amount=D("100.00"), method="cash", by=None)
    services.credit_note_issue(invoice=refunded, reason="Wrong", refund_method="cash", by=None)
    kept = billable()
    first = issued(kept)
    services.payment_record(invoice=first, amount=D("20.00"), method="cash", by=None)
    services.credit_note_issue(invoice=first, reason="Wrong", settle="account", by=None)
    services.account_apply(invoice=issued(kept), by=None)
    services.invoice_void(invoice=issued(billable()), reason="Duplicate", by=None)
    draft = drafted(billable())
    services.invoice_draft_delete(invoice=draft, by=None)
    drafted(billable())


@pytest.mark.django_db
def test_the_roll_up_gives_the_figures_of_the_invoices_after_every_kind_of_write(
    billable,
):
    mixed_writes(billable)
    today = timezone.localdate()

    rows = rolled()
    assert rows == direct()
    assert [r[0] for r in rows[:3]] == ["2024-01", "2024-02", "2024-03"]
    # January, by hand: 107.50 invoiced (60 + 40 of lines, 7.50 tax); 30 paid that month;
    # 27.50 still owed of it (80 paid in all).
    assert rows[0] == (
        "2024-01",
        D("107.50"),
        D("30.00"),
        D("27.50"),
        D("60.00"),
        D("40.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("7.50"),
    )
    # This month: 480 paid in full, 480 issued and 20 of it paid from the account; the
    # credited and void ones count nowhere, but their payments came in this month.
    assert rows[-1][:4] == (today.strftime("%Y-%m"), D("960.00"), D("620.00"), D("460.00"))
    periods = [
        {"date_from": datetime.date(2024, 2, 1)},
        {"date_to": datetime.date(2024, 1, 31)},
        {"date_from": datetime.date(2024, 2, 1), "date_to": datetime.date(2024, 2, 1)},
        {"date_from": today - datetime.timedelta(days=89), "date_to": today},
        {"date_to": datetime.date(2023, 12, 31)},
    ]
    for period in periods:
        assert rolled(**period) == direct(**period), period
    assert rolled(date_to=datetime.date(2023, 12, 31)) == []


@pytest.mark.django_db
def test_it_computes_from_the_invoices_while_the_roll_up_is_in_another_zone(settings):
    day = datetime.date(2024, 1, 31)
    inv = written(day, "100.00", lines=[(LineKind.OTHER, "100.00")])
    Payment.objects.create(
        invoice=inv,
        amount=D("40.00"),
        method="cash",
        received_at=datetime.datetime(2024, 2, 1, 2, tzinfo=datetime.UTC),
    )
    settings.TIME_ZONE = "America/New_York"  # 02:00 UTC on 1 February is still 31 January

    rows = rolled()

    assert rows == direct()
    assert [r[:3] for r in rows] == [("2024-01", D("100.00"), D("40.00"))]


@pytest.mark.django_db(transaction=True)
def test_payments_taken_at_the_same_moment_are_all_counted(billable):
    invoices = [issued(billable()) for _ in range(6)]

    outcomes = together(
        [
            lambda inv=inv: services.payment_record(
                invoice=inv, amount=D("80.00"), method="cash", by=None
            )
            for inv in invoices
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)]
    rows = rolled()
    assert rows == direct()
    assert rows[-1][1:4] == (D("2880.00"), D("480.00"), D("2400.00"))
    assert [i.amount_paid for i in Invoice.objects.order_by("pk")] == [D("80.00")] * 6


@pytest.mark.django_db(transaction=True)
def test_the_kept_figures_equal_a_rebuild_from_the_rows(billable):
    mixed_writes(billable)

    def kept():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT day, due_date, state, sum(invoices), sum(total), sum(paid)"
                " FROM billing_invoice_tally GROUP BY 1, 2, 3"
                " HAVING sum(invoices) <> 0 OR sum(total) <> 0 OR sum(paid) <> 0 ORDER BY 1, 2, 3"
            )
            tally = cursor.fetchall()
            cursor.execute(
                "SELECT day, sum(invoices), sum(payments), sum(invoiced), sum(tax),"
                " sum(medication), sum(surgery), sum(consultation), sum(minimum_charge),"
                " sum(other), sum(outstanding), sum(paid) FROM billing_revenue_day"
                " GROUP BY day HAVING sum(invoices) <> 0 OR sum(payments) <> 0 ORDER BY day"
            )
            return tally, cursor.fetchall()

    before = kept()
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute("SELECT billing_summaries_rebuild()")

    assert kept() == before
    assert len(before[0]) >= 8 and len(before[1]) >= 4


def _populate(n: int, day: datetime.date) -> None:
    for i in range(n):
        inv = written(day - datetime.timedelta(days=i % 80), "30.00", lines=[("other", "30.00")])
        if i % 2:
            pay(inv, "10.00", day)


@pytest.mark.django_db
def test_the_revenue_page_costs_the_same_queries_with_few_and_many_invoices(login, admin_user):
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["revenue"])
    client.get(url)  # the session is written at most once a minute: not in what is counted
    today = timezone.localdate()

    def count(**query):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        return len(queries)

    _populate(3, today)
    few = [count(), count(**{"from": "2024-01-01"}), count(**{"to": str(today)})]
    _populate(150, today)
    many = [count(), count(**{"from": "2024-01-01"}), count(**{"to": str(today)})]

    assert few == many
    assert rolled(date_from=today - datetime.timedelta(days=89)) == direct(
        date_from=today - datetime.timedelta(days=89)
    )
