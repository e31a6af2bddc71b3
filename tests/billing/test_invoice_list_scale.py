"""The invoice list at scale: the amount paid kept on the invoice, the totals strip from the
tally, pages by key. Figures are checked against sums worked out here from the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import selectors, services, summaries
from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from tests.billing.factories import drafted, issued, surgery, visit
from tests.factories import InvoiceFactory, PatientFactory, ProcedureFeeFactory
from tests.reports.helpers import at

D = Decimal
BILLED = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
_numbers = iter(range(1, 1_000_000))


def check_now() -> None:
    """What the commit checks, now (a test's transaction never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS billing_money_balances IMMEDIATE")
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")


def paid_by_payments(invoice: Invoice) -> Decimal:
    return sum((p.amount for p in Payment.objects.filter(invoice=invoice)), D("0.00"))


def expected_totals(invoices) -> dict:
    billed = [i for i in invoices if i.status in BILLED]
    invoiced = sum((i.total for i in billed), D("0.00"))
    paid = sum((paid_by_payments(i) for i in billed), D("0.00"))
    return {"count": len(invoices), "invoiced": invoiced, "paid_total": paid}


def tally(**filters) -> dict:
    totals = summaries.invoice_tally(**filters)
    return {k: totals[k] for k in ("count", "invoiced", "paid_total")}


def invoice(day, total, *, status=InvoiceStatus.ISSUED, due=None, hour=10, **kw) -> Invoice:
    """An invoice written straight to the table, as a loader would."""
    return InvoiceFactory(
        number=None if status == InvoiceStatus.DRAFT else f"INV-2024-{next(_numbers):06d}",
        status=status,
        issued_at=None if status == InvoiceStatus.DRAFT else at(day, hour),
        subtotal=D(total),
        total=D(total),
        due_date=due,
        **kw,
    )


@pytest.fixture
def billable():
    """A patient whose next invoice is 480.00 (an appendectomy and a consultation)."""

    def make():
        patient = PatientFactory()
        surgery(patient, "Appendectomy")
        visit(patient, fee="80.00")
        return patient

    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    return make


@pytest.mark.django_db
def test_it_keeps_the_amount_paid_equal_to_the_payments_through_every_money_move(
    billable, fast_pdf
):
    pay = lambda inv, amount: services.payment_record(  # noqa: E731
        invoice=inv, amount=D(amount), method=PaymentMethod.CASH, by=None
    )
    in_full = issued(billable())
    pay(in_full, "100.00")
    pay(in_full, "380.00")
    refunded = issued(billable())
    pay(refunded, "50.00")
    services.credit_note_issue(invoice=refunded, reason="Wrong", refund_method="cash", by=None)
    kept = billable()
    first = issued(kept)
    pay(first, "30.00")
    services.credit_note_issue(invoice=first, reason="Wrong", settle="account", by=None)
    again = issued(kept)
    services.account_apply(invoice=again, by=None)
    voided = issued(billable())
    services.invoice_void(invoice=voided, reason="Duplicate", by=None)
    draft = drafted(billable())

    check_now()  # the database's own check agrees at "commit"
    expected = {
        in_full: ("paid", "480.00"),
        refunded: ("credited", "50.00"),
        first: ("credited", "30.00"),
        again: ("issued", "30.00"),
        voided: ("void", "0.00"),
        draft: ("draft", "0.00"),
    }
    for inv, (status, amount) in expected.items():
        inv.refresh_from_db()
        assert (inv.status, inv.amount_paid) == (status, D(amount)), inv
        assert inv.amount_paid == paid_by_payments(inv)
    # The strip: 480 + 480 invoiced (paid and issued ones), 480 + 30 of it paid; 6 invoices.
    assert tally() == {"count": 6, "invoiced": D("960.00"), "paid_total": D("510.00")}
    assert tally() == expected_totals(list(Invoice.objects.all()))
    assert tally(status="partly_paid") == {
        "count": 1,
        "invoiced": D("480.00"),
        "paid_total": D("30.00"),
    }


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_amount_paid_that_is_not_the_payments(billable, fast_pdf):
    """As the application's login, around the services: at commit, or at once for a new row."""
    inv = issued(billable())
    services.payment_record(invoice=inv, amount=D("80.00"), method=PaymentMethod.CARD, by=None)
    draft = drafted(billable())

    for target, wrong in ((inv, D("480.00")), (inv, D("0.00")), (draft, D("5.00"))):
        with pytest.raises(IntegrityError, match="its payments come to"):
            with transaction.atomic():
                Invoice.objects.filter(pk=target.pk).update(amount_paid=wrong)
    with pytest.raises(IntegrityError, match="paid nothing yet"):
        with transaction.atomic():
            InvoiceFactory(patient=PatientFactory(), amount_paid=D("1.00"))

    inv.refresh_from_db()
    draft.refresh_from_db()
    assert (inv.amount_paid, draft.amount_paid) == (D("80.00"), D("0.00"))
    assert summaries.invoice_tally()["paid_total"] == D("80.00")


@pytest.mark.django_db
def test_the_totals_strip_adds_up_what_each_filter_shows(monkeypatch):
    jan, feb, mar = (datetime.date(2024, m, 10) for m in (1, 2, 3))
    rows = [
        invoice(jan, "100.00", due=jan + datetime.timedelta(days=30)),
        invoice(jan, "40.00", due=jan + datetime.timedelta(days=30)),
        invoice(feb, "70.00", due=feb + datetime.timedelta(days=30)),
        invoice(feb, "25.00", status=InvoiceStatus.VOID, void_reason="Duplicate"),
        invoice(mar, "60.00", due=mar + datetime.timedelta(days=30)),
        invoice(mar, "0.00", status=InvoiceStatus.DRAFT),
    ]
    Invoice.objects.filter(pk=rows[-1].pk).update(created_at=at(mar, 9))
    for inv, amount in ((rows[0], "100.00"), (rows[1], "15.00"), (rows[4], "60.00")):
        Payment.objects.create(
            invoice=inv, amount=D(amount), method="cash", received_at=inv.issued_at
        )
    Invoice.objects.filter(pk__in=[rows[0].pk, rows[4].pk]).update(status=InvoiceStatus.PAID)
    today = datetime.date(2024, 3, 1)  # January's are overdue, February's not yet
    invoices = list(Invoice.objects.all())

    def shown(**filters):
        return [
            i
            for i in selectors.invoice_list(**filters, today=today)
            if i.pk in {r.pk for r in rows}
        ]

    cases = [
        {},
        {"status": "open"},
        {"status": "unpaid"},
        {"status": "partly_paid"},
        {"status": "paid"},
        {"status": "void"},
        {"status": "draft"},
        {"date_from": feb},
        {"date_to": feb, "status": "open"},
        {"overdue": True},
        {"overdue": True, "status": "paid"},
    ]
    for filters in cases:
        listed = shown(**filters)
        strip = selectors.invoice_totals(
            selectors.invoice_list(**filters, today=today), **filters, today=today
        )
        assert {k: strip[k] for k in ("count", "invoiced", "paid_total")} == expected_totals(
            listed
        ), filters
        assert strip["balance"] == strip["invoiced"] - strip["paid_total"]
    assert len(invoices) == 6
    assert [i.pk for i in shown(overdue=True)] == [rows[1].pk]
    # A search adds up its own invoices (the tally knows no names).
    strip = selectors.invoice_totals(
        selectors.invoice_list(q=rows[1].number, today=today), q=rows[1].number, today=today
    )
    assert (strip["count"], strip["invoiced"], strip["paid_total"]) == (1, D("40.00"), D("15.00"))


def _walk(invoices, size):
    pages, key = [], None
    while True:
        page = selectors.invoice_page(invoices, after=key, size=size)
        pages.append(page)
        if not page.has_next:
            return pages
        key = page.next_key


@pytest.mark.django_db
def test_pages_by_key_show_every_invoice_once_newest_first_and_walk_back():
    day = datetime.date(2024, 5, 6)
    # Three issued at the same instant: the id breaks the tie, none is lost or repeated.
    for hour in (9, 9, 9, 10, 11, 12, 13):
        invoice(day, "10.00", hour=hour)
    invoice(day, "10.00", status=InvoiceStatus.DRAFT)
    invoices = selectors.invoice_list(today=day)
    everyone = list(invoices)

    pages = _walk(invoices, 3)

    assert [len(p.object_list) for p in pages] == [3, 3, 2]
    walked = [i.pk for p in pages for i in p.object_list]
    assert walked == [i.pk for i in everyone]
    assert len(set(walked)) == 8
    assert walked == [
        i.pk
        for i in sorted(everyone, key=lambda i: (i.issued_at or i.created_at, i.pk), reverse=True)
    ]
    assert not pages[0].has_previous and pages[1].has_previous
    back = selectors.invoice_page(invoices, before=pages[2].previous_key, size=3)
    assert [i.pk for i in back.object_list] == [i.pk for i in pages[1].object_list]
    first = selectors.invoice_page(invoices, before=pages[1].previous_key, size=3)
    assert [i.pk for i in first.object_list] == [i.pk for i in pages[0].object_list]
    assert not first.has_previous
    # A filter walks its own index the same way.
    issued_only = selectors.invoice_list(status="unpaid", today=day)
    assert [i.pk for p in _walk(issued_only, 2) for i in p.object_list] == [
        i.pk for i in everyone if i.status == InvoiceStatus.ISSUED
    ]
    for token in ("x", "1.", ".5", "99999999999999999999999.1", "1.2.3", "-" * 50):
        with pytest.raises(ValueError):
            selectors.invoice_page(invoices, after=token)


@pytest.fixture
def clerk(login, billing_clerk):
    return login(billing_clerk)


@pytest.mark.django_db
def test_the_page_follows_next_and_previous_links_and_survives_old_ones(clerk):
    day = datetime.date(2024, 5, 6)
    for n in range(55):
        invoice(day, "10.00", hour=8 + n % 10)
    url = reverse("billing:invoice_list")

    first = clerk.get(url)
    html = first.content.decode()
    assert first.context["totals"]["count"] == 55
    assert len(first.context["page"].object_list) == 50 and ">Next<" in html
    assert ">Previous<" not in html
    second = clerk.get(url, {"after": first.context["page"].next_key})
    assert len(second.context["page"].object_list) == 5 and ">Previous<" in second.text
    shown = [i.pk for r in (first, second) for i in r.context["page"].object_list]
    assert sorted(shown) == sorted(Invoice.objects.values_list("pk", flat=True))
    back = clerk.get(url, {"before": second.context["page"].previous_key})
    assert [i.pk for i in back.context["page"].object_list] == shown[:50]
    for stale in ({"after": "not-a-key"}, {"before": "12"}, {"page": "3"}):
        response = clerk.get(url, stale)
        assert response.status_code == 200
        assert [i.pk for i in response.context["page"].object_list] == shown[:50]
    assert "no longer valid" in clerk.get(url, {"after": "zz"}).text


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_few_and_many_invoices(clerk):
    url = reverse("billing:invoice_list")
    clerk.get(url)  # the session is written at most once a minute: not in what is counted
    day = timezone.localdate()

    def count(**query):
        with CaptureQueriesContext(connection) as queries:
            assert clerk.get(url, query).status_code == 200
        return len(queries)

    def add(n):
        for i in range(n):
            inv = invoice(day, "20.00", due=day, hour=1 + i % 8, patient=PatientFactory())
            if i % 3 == 0:
                Payment.objects.create(
                    invoice=inv, amount=D("5.00"), method="cash", received_at=inv.issued_at
                )

    add(3)
    few = [count(), count(status="partly_paid"), count(date_from=day), count(q="Nobody")]
    add(120)
    many = [count(), count(status="partly_paid"), count(date_from=day), count(q="Nobody")]
    assert few == many
