"""Two clerks at the same moment: numbers stay gapless, items are billed once, payments
never pass the balance. Each thread has its own database connection (closed at its end)."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from billing import services
from billing.models import Invoice, InvoiceLine, InvoiceNumberCounter, InvoiceStatus, Payment
from tests.billing.factories import drafted, issued, medication, surgery, visit
from tests.concurrency import together
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = timezone.localdate().year


def wait_until_another_connection_waits_on_this_one(seconds: float = 30) -> None:
    """Return once another connection waits for a lock this thread's connection holds
    (PostgreSQL's pg_blocking_pids), checking every 10 ms until the deadline."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks"
                " WHERE NOT granted AND pg_backend_pid() = ANY (pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"no connection waited on this one in {seconds} s"
            time.sleep(0.01)


@pytest.fixture
def patient():
    patient = PatientFactory()
    surgery(patient, "Appendectomy")
    medication(patient, "Metformin")
    visit(patient, fee="80.00")
    return patient


def test_it_numbers_invoices_issued_at_the_same_moment_without_gaps_or_repeats():
    drafts = [drafted(PatientFactory()) for _ in range(6)]

    results = together(
        [lambda d=d: services.invoice_issue(invoice=d, by=None).number for d in drafts]
    )

    assert sorted(results) == [f"INV-{YEAR}-{n:06d}" for n in range(1, 7)]
    assert InvoiceNumberCounter.objects.get(year=YEAR).last_number == 6
    assert Invoice.objects.filter(status=InvoiceStatus.ISSUED).count() == 6


def test_it_bills_items_once_when_two_clerks_draft_the_same_patient_at_once(patient):
    def draft():
        return services.invoice_draft_for_patient(patient=patient, by=None)

    results = together([draft, draft])

    made = [r for r in results if isinstance(r, Invoice)]
    refused = [r for r in results if isinstance(r, services.DraftExists)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].invoice == made[0]
    assert Invoice.objects.filter(patient=patient).count() == 1
    keys = list(InvoiceLine.objects.filter(is_active=True).values_list("source_key", flat=True))
    assert len([k for k in keys if k]) == 3
    assert len(set(keys)) == len(keys)


def test_it_tells_the_second_clerk_whose_draft_won_while_the_first_was_still_saving(patient):
    saved = threading.Event()

    def first():
        try:
            with transaction.atomic():
                invoice = services.invoice_draft_for_patient(patient=patient, by=None)
                saved.set()
                # Commit once the second clerk's insert waits on this uncommitted draft.
                wait_until_another_connection_waits_on_this_one()
            return invoice
        finally:
            connection.close()

    def second():
        assert saved.wait(timeout=30)
        try:
            return services.invoice_draft_for_patient(patient=patient, by=None)
        except services.DraftExists as exists:
            return exists
        finally:
            connection.close()

    results = [None, None]
    threads = [
        threading.Thread(target=lambda: results.__setitem__(0, first())),
        threading.Thread(target=lambda: results.__setitem__(1, second())),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winner, loser = results
    assert isinstance(winner, Invoice)
    assert isinstance(loser, services.DraftExists)
    assert "Another clerk has just drafted" in str(loser.messages[0])
    assert loser.invoice == winner
    assert Invoice.objects.filter(patient=patient).count() == 1


def test_it_never_takes_two_payments_at_once_past_the_balance(patient):
    invoice = issued(patient)  # 50 (default surgery fee) + 0 (unpriced) + 80 = 130.00
    assert invoice.total == Decimal("130.00")

    def pay():
        return services.payment_record(
            invoice=invoice, amount=Decimal("100.00"), method="cash", by=None
        )

    results = together([pay, pay])

    assert sum(isinstance(r, Payment) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
