"""The invoice list's totals from the roll-up (billing 0013): every row equal to a count of the
invoices after every kind of write (services, raw SQL as the application's login, clerks at
once, a deferred bulk load then its rebuild), and the strip equal to the shown invoices for
periods and due dates across months and years."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import selectors, services
from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from reports import summaries as report_summaries
from tests.billing.factories import drafted, issued, surgery, visit
from tests.concurrency import together
from tests.factories import InvoiceFactory, PatientFactory, ProcedureFeeFactory
from tests.reports.helpers import at

D = Decimal
DAY = datetime.date
OPEN = ("unpaid", "partly_paid")
ALL_TIME = DAY(1, 1, 1)
_numbers = iter(range(700_000, 800_000))


def written(day, total, *, due=None, status=InvoiceStatus.ISSUED, **kw) -> Invoice:
    """An invoice written straight to the table, as a loader would."""
    return InvoiceFactory(
        number=None if status == InvoiceStatus.DRAFT else f"INV-2023-{next(_numbers):06d}",
        status=status,
        issued_at=None if status == InvoiceStatus.DRAFT else at(day, 10),
        subtotal=D(total),
        total=D(total),
        due_date=due,
        **kw,
    )


def pay(inv: Invoice, amount: str) -> Payment:
    return Payment.objects.create(
        invoice=inv, amount=D(amount), method=PaymentMethod.CASH, received_at=timezone.now()
    )


def expected() -> dict:
    """The roll-up's rows worked out here from the invoices: per state and shard, by the
    invoice's local day at four grains and, for open ones, by the due date at three."""
    rows: dict = defaultdict(lambda: [0, D("0.00"), D("0.00")])
    for inv in Invoice.objects.all():
        day = timezone.localtime(inv.issued_at or inv.created_at).date()
        state = inv.status
        if state == InvoiceStatus.ISSUED:
            state = "partly_paid" if inv.amount_paid > 0 else "unpaid"
        keys = [
            ("day", 3, ALL_TIME),
            ("day", 2, day.replace(month=1, day=1)),
            ("day", 1, day.replace(day=1)),
            ("day", 0, day),
        ]
        if state in OPEN and inv.due_date:
            due = inv.due_date
            keys += [("due", 2, due.replace(month=1, day=1)), ("due", 1, due.replace(day=1))]
            keys.append(("due", 0, due))
        for key in keys:
            row = rows[(*key, state, inv.pk % 8)]
            row[0] += 1
            row[1] += inv.total
            row[2] += inv.amount_paid
    return {k: tuple(v) for k, v in rows.items()}


def kept() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT axis, level, start, state, shard, invoices, total, paid"
            " FROM billing_invoice_rollup WHERE (invoices, total, paid) <> (0, 0, 0)"
        )
        return {tuple(r[:5]): tuple(r[5:]) for r in cursor.fetchall()}


@pytest.fixture
def billable():
    """A patient whose next invoice is 480.00 (an appendectomy and a consultation)."""
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))

    def make():
        patient = PatientFactory()
        surgery(patient, "Appendectomy")
        visit(patient, fee="80.00")
        return patient

    return make


def mixed_writes(billable) -> None:
    """Through the services (issue, payments, credit notes, account, void, drafts) and around
    them in raw SQL as the application's login (insert, pay, mark paid, void, move and
    delete drafts), on days and due dates across months and years."""
    pay_in = lambda inv, amount: services.payment_record(  # noqa: E731
        invoice=inv, amount=D(amount), method=PaymentMethod.CASH, by=None
    )
    in_full = issued(billable())
    pay_in(in_full, "480.00")
    part = issued(billable())
    pay_in(part, "80.00")
    refunded = issued(billable())
    pay_in(refunded, "100.00")
    services.credit_note_issue(invoice=refunded, reason="Wrong", refund_method="cash", by=None)
    services.invoice_void(invoice=issued(billable()), reason="Duplicate", by=None)
    services.invoice_draft_delete(invoice=drafted(billable()), by=None)
    drafted(billable())

    old = written(DAY(2022, 12, 31), "100.00", due=DAY(2023, 1, 30))
    voided = written(DAY(2023, 1, 1), "40.00", due=DAY(2023, 1, 31))
    paid_late = written(DAY(2023, 6, 15), "60.00", due=DAY(2023, 7, 15))
    draft = written(DAY(2023, 6, 15), "0.00", status=InvoiceStatus.DRAFT)
    gone = written(DAY(2023, 6, 15), "0.00", status=InvoiceStatus.DRAFT)
    with transaction.atomic(), connection.cursor() as cursor:  # checked when it commits
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")
        cursor.execute(
            "INSERT INTO billing_payment (created_at, updated_at, invoice_id, amount, method,"
            " received_at, reference) VALUES (now(), now(), %s, 25.00, 'cash', now(), ''),"
            " (now(), now(), %s, 60.00, 'card', now(), '')",
            [old.pk, paid_late.pk],
        )
        cursor.execute("UPDATE billing_invoice SET status = 'paid' WHERE id = %s", [paid_late.pk])
        cursor.execute(
            "UPDATE billing_invoice SET due_date = '2024-02-29', created_at = %s WHERE id = %s",
            [at(DAY(2024, 1, 31), 23), draft.pk],
        )
        cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [gone.pk])
        cursor.execute(
            "UPDATE billing_invoice SET status = 'void', void_reason = 'Wrong', voided_at = now()"
            " WHERE id = %s",
            [voided.pk],
        )


@pytest.mark.django_db
def test_it_keeps_every_row_equal_to_the_invoices_after_every_kind_of_write(billable, fast_pdf):
    mixed_writes(billable)

    rows = kept()

    assert rows == expected()
    # By hand: open now are the 480 issued today (80 paid) and the one of 31 December 2022
    # (100, 25 paid, due 30 January 2023); the 1 January one was voided in raw SQL.
    opened = {k: v for k, v in rows.items() if k[:3] == ("day", 3, ALL_TIME) and k[3] in OPEN}
    assert sum(v[0] for v in opened.values()) == 2
    assert sum((v[1] for v in opened.values()), D(0)) == D("580.00")
    assert sum((v[2] for v in opened.values()), D(0)) == D("105.00")
    due_2023 = {k: v for k, v in rows.items() if k[:3] == ("due", 2, DAY(2023, 1, 1))}
    assert [(k[3], v) for k, v in due_2023.items()] == [
        ("partly_paid", (1, D("100.00"), D("25.00")))
    ]
    # The draft moved to 31 January 2024 counts there and on no other day.
    jan_2024 = [k for k in rows if k[:3] == ("day", 1, DAY(2024, 1, 1))]
    assert [k[3] for k in jan_2024] == ["draft"]


@pytest.mark.django_db(transaction=True)
def test_the_kept_rows_equal_a_rebuild_and_a_deferred_load_waits_for_it(billable, fast_pdf):
    mixed_writes(billable)
    before = kept()
    report_summaries.rebuild()  # as the application's login, as the seed calls it
    assert kept() == before == expected()

    with transaction.atomic():  # a bulk loader that defers the summaries
        report_summaries.defer()
        loaded = [written(DAY(2021, 3, d), "10.00", due=DAY(2021, 4, d)) for d in (1, 2, 3)]
        pay(loaded[0], "4.00")
        Invoice.objects.filter(pk=loaded[1].pk).update(
            status=InvoiceStatus.VOID, void_reason="Wrong", voided_at=timezone.now()
        )
        assert Invoice.objects.get(pk=loaded[0].pk).amount_paid == D("4.00")  # always kept
    assert kept() == before  # left to the rebuild

    report_summaries.rebuild()

    assert kept() == expected() != before
    strip = selectors.invoice_totals(
        Invoice.objects.none(), date_to=DAY(2021, 12, 31), today=timezone.localdate()
    )
    assert (strip["count"], strip["invoiced"], strip["paid_total"]) == (3, D("20.00"), D("4.00"))


@pytest.mark.django_db(transaction=True)
def test_clerks_paying_at_the_same_moment_are_all_counted(billable, fast_pdf):
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
    assert kept() == expected()
    strip = selectors.invoice_totals(
        Invoice.objects.none(), status="partly_paid", today=timezone.localdate()
    )
    assert (strip["count"], strip["invoiced"], strip["paid_total"]) == (
        6,
        D("2880.00"),
        D("480.00"),
    )


def _across_years() -> list[Invoice]:
    """Invoices around the ends of months and years, due 30 days on; some paid."""
    days = [
        DAY(2022, 12, 31),
        DAY(2023, 1, 1),
        DAY(2023, 1, 31),
        DAY(2023, 2, 1),
        DAY(2023, 6, 15),
        DAY(2023, 12, 31),
        DAY(2024, 1, 1),
        DAY(2024, 2, 29),
        DAY(2024, 3, 1),
        DAY(2024, 3, 2),
    ]
    rows = [
        written(day, f"{10 * (n + 1)}.00", due=day + datetime.timedelta(days=30))
        for n, day in enumerate(days)
    ]
    for inv in rows[::3]:
        pay(inv, "5.00")
    pay(rows[4], rows[4].total)
    Invoice.objects.filter(pk=rows[4].pk).update(status=InvoiceStatus.PAID)
    InvoiceFactory(status=InvoiceStatus.DRAFT, total=D("7.00"), subtotal=D("7.00"))
    return rows


@pytest.mark.django_db
def test_the_strip_adds_up_what_each_filter_shows_across_months_and_years():
    _across_years()
    today = DAY(2024, 3, 31)  # due up to 30 March 2024 is overdue

    def strip(**filters):
        totals = selectors.invoice_totals(
            selectors.invoice_list(**filters, today=today), **filters, today=today
        )
        return totals["count"], totals["invoiced"], totals["paid_total"]

    def shown(**filters):
        listed = list(selectors.invoice_list(**filters, today=today))
        billed = [i for i in listed if i.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID)]
        return (
            len(listed),
            sum((i.total for i in billed), D("0.00")),
            sum((i.amount_paid for i in billed), D("0.00")),
        )

    periods = [
        {},
        {"date_from": DAY(2023, 1, 1)},
        {"date_to": DAY(2023, 12, 31)},
        {"date_from": DAY(2022, 12, 31), "date_to": DAY(2024, 1, 1)},
        {"date_from": DAY(2023, 1, 31), "date_to": DAY(2023, 2, 1)},
        {"date_from": DAY(2023, 2, 1), "date_to": DAY(2024, 2, 29)},
        {"date_from": DAY(2024, 3, 2), "date_to": DAY(2024, 3, 2)},
        {"date_from": DAY(2025, 1, 1)},
    ]
    for period in periods:
        for extra in ({}, {"status": "open"}, {"status": "partly_paid"}, {"overdue": True}):
            filters = {**period, **extra}
            assert strip(**filters) == shown(**filters), filters
    # By hand: overdue on 31 March are the open ones due by 30 March 2024, that is issued up to
    # 29 February 2024 but the paid one of 15 June: 10+20+30+40+60+70+80 = 310, 5+5+5 paid.
    assert strip(overdue=True) == (7, D("310.00"), D("15.00"))
    # 2023 in full: 20+30+40+50+60 invoiced; the 50 paid in full, 5 of the 40.
    assert strip(date_from=DAY(2023, 1, 1), date_to=DAY(2023, 12, 31)) == (
        5,
        D("200.00"),
        D("55.00"),
    )


@pytest.fixture
def clerk(login, billing_clerk):
    return login(billing_clerk)


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_one_year_or_three_of_invoices(clerk):
    url = reverse("billing:invoice_list")
    clerk.get(url)  # the session is written at most once a minute: not in what is counted
    today = timezone.localdate()

    def count(**query):
        with CaptureQueriesContext(connection) as queries:
            response = clerk.get(url, query)
        assert response.status_code == 200
        return len(queries), len(response.context["page"].object_list)

    def add(days):
        for n in range(days):
            day = today - datetime.timedelta(days=n * 7)
            inv = written(day, "20.00", due=day + datetime.timedelta(days=30))
            if n % 3 == 0:
                pay(inv, "5.00")

    queries = [
        {},
        {"overdue": "on"},
        {"status": "open", "date_from": str(today - datetime.timedelta(days=400))},
        {"overdue": "on", "date_to": str(today)},
        {"q": "Nobody"},
    ]
    add(3)
    few = [count(**q)[0] for q in queries]
    add(150)  # three years of weeks
    many = [count(**q) for q in queries]

    assert few == [n for n, _ in many]
    assert [shown for _, shown in many] == [50, 50, 50, 50, 0]
