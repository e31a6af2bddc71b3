"""Draft review, issuing, immutability, void and payments: the invoice lifecycle."""

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from billing import pdf, rule, services
from billing.models import Invoice, InvoiceLine, InvoiceStatus, LineKind, Payment, PaymentMethod
from core.models import AuditEvent
from tests.billing.factories import drafted, issued, medication, settings, surgery, visit
from tests.factories import (
    InvoiceFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = timezone.localdate().year


@pytest.fixture
def clerk():
    return UserFactory(username="clerk")


@pytest.fixture
def patient():
    patient = PatientFactory()
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")
    return patient


def pay(invoice, amount, by=None, method=PaymentMethod.CASH):
    return services.payment_record(invoice=invoice, amount=D(amount), method=method, by=by)


def unbilled_keys(patient):
    return {
        item.source_key for item in rule.items_for_patient(patient=patient, settings=settings())
    }


# --- Draft review -------------------------------------------------------------------------


class TestDraftReview:
    def test_it_adds_an_other_line_and_a_discount_with_its_reason(self, patient, clerk):
        invoice = drafted(patient, by=clerk)

        services.invoice_line_add(
            invoice=invoice, description="Medical report", amount=D("15.00"), by=clerk
        )
        services.invoice_line_add(
            invoice=invoice,
            description="Hardship (approved by Dr Ruiz)",
            amount=D("95.00"),
            discount=True,
            by=clerk,
        )

        invoice.refresh_from_db()
        assert invoice.total == D("400.00")
        discount = invoice.lines.get(amount__lt=0)
        assert (discount.kind, discount.description) == (
            LineKind.OTHER,
            "Discount: Hardship (approved by Dr Ruiz)",
        )

    def test_it_refuses_a_discount_without_a_reason_or_above_the_charges(self, patient, clerk):
        invoice = drafted(patient, by=clerk)

        with pytest.raises(ValidationError):
            services.invoice_line_add(
                invoice=invoice, description="  ", amount=D("5"), discount=True, by=clerk
            )
        with pytest.raises(ValidationError, match="more than the charges"):
            services.invoice_line_add(
                invoice=invoice,
                description="Goodwill",
                amount=D("480.01"),
                discount=True,
                by=clerk,
            )
        invoice.refresh_from_db()
        assert invoice.total == D("480.00")
        assert invoice.lines.count() == 2

    def test_it_leaves_a_removed_line_unbilled_and_brings_back_the_minimum(self, clerk):
        patient = PatientFactory()
        item = surgery(patient, "Cast")
        invoice = drafted(patient, by=clerk)
        line = invoice.lines.get()

        services.invoice_line_remove(line=line, by=clerk)

        invoice.refresh_from_db()
        assert [(x.kind, x.amount) for x in invoice.lines.all()] == [
            (LineKind.MINIMUM_CHARGE, D("50.00"))
        ]
        assert invoice.total == D("50.00")
        assert unbilled_keys(patient) == {f"history:{item.pk}"}

    def test_it_refuses_to_remove_the_minimum_charge(self, clerk):
        invoice = drafted(PatientFactory(), by=clerk)

        with pytest.raises(ValidationError, match="discount"):
            services.invoice_line_remove(line=invoice.lines.get(), by=clerk)

    def test_the_database_refuses_a_second_minimum_charge(self, clerk):
        invoice = drafted(PatientFactory(), by=clerk)
        minimum = invoice.lines.get(kind=LineKind.MINIMUM_CHARGE)

        with pytest.raises(IntegrityError, match="one_minimum_charge"), transaction.atomic():
            InvoiceLine.objects.create(
                invoice=invoice,
                kind=LineKind.MINIMUM_CHARGE,
                description="Minimum charge",
                unit_price=minimum.unit_price,
                amount=minimum.amount,
            )

    def test_it_reprices_a_draft_once_an_unpriced_medication_is_priced(self, clerk):
        patient = PatientFactory()
        medication(patient, "Lisinopril")
        invoice = drafted(patient, by=clerk)
        assert invoice.lines.filter(unpriced=True).count() == 1
        services.invoice_line_add(
            invoice=invoice, description="Copy of records", amount=D("5.00"), by=clerk
        )
        services.medication_cost_save(data={"name": "lisinopril", "unit_cost": D("7.25")}, by=clerk)

        services.invoice_draft_refresh(invoice=invoice, by=clerk)

        invoice.refresh_from_db()
        assert not invoice.lines.filter(unpriced=True).exists()
        assert invoice.total == D("12.25")  # 7.25 + the kept "other" line 5.00

    def test_it_keeps_one_draft_per_patient(self, patient, clerk):
        first = drafted(patient, by=clerk)

        with pytest.raises(services.DraftExists) as exists:
            drafted(patient, by=clerk)

        assert exists.value.invoice == first
        assert Invoice.objects.filter(patient=patient).count() == 1


# --- Issue --------------------------------------------------------------------------------


class TestIssue:
    def test_it_numbers_freezes_and_stores_the_pdf_with_its_sha256(self, patient, clerk):
        settings(payment_terms_days=14, hospital_name="St. Aurelia")

        invoice = issued(patient, by=clerk)

        invoice.refresh_from_db()
        assert invoice.number == f"INV-{YEAR}-000001"
        assert invoice.status == InvoiceStatus.ISSUED
        assert invoice.due_date == timezone.localdate() + datetime.timedelta(days=14)
        assert bytes(invoice.pdf).startswith(b"%PDF-")
        assert invoice.pdf_sha256 == hashlib.sha256(bytes(invoice.pdf)).hexdigest()
        assert invoice.snapshot["hospital"]["name"] == "St. Aurelia"
        assert invoice.snapshot["patient"]["mrn"] == patient.mrn
        assert AuditEvent.objects.filter(object_type="billing.invoice", action="update").exists()

    def test_it_numbers_one_after_the_other_within_the_year(self, clerk):
        numbers = [issued(PatientFactory(), by=clerk).number for _ in range(3)]

        assert numbers == [f"INV-{YEAR}-{n:06d}" for n in (1, 2, 3)]

    def test_it_continues_after_numbers_already_in_the_table(self, clerk):
        InvoiceFactory(status=InvoiceStatus.ISSUED, number=f"INV-{YEAR}-000041")

        assert issued(PatientFactory(), by=clerk).number == f"INV-{YEAR}-000042"

    def test_it_gives_the_number_back_when_issuing_fails(self, clerk, monkeypatch):
        invoice = drafted(PatientFactory(), by=clerk)

        def broken(*args, **kwargs):
            raise RuntimeError("audit log unreachable")

        # The last step of the issue fails: the whole issue rolls back, number included.
        monkeypatch.setattr(services.invoices.audit, "audit_record", broken)
        with pytest.raises(RuntimeError):
            services.invoice_issue(invoice=invoice, by=clerk)
        monkeypatch.undo()

        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
        assert services.invoice_issue(invoice=invoice, by=clerk).number.endswith("000001")

    def test_a_renderer_crash_leaves_the_invoice_issued_and_the_job_stores_the_pdf_later(
        self, clerk, monkeypatch
    ):
        invoice = services.invoice_issue(invoice=drafted(PatientFactory(), by=clerk), by=clerk)

        def broken(*args, **kwargs):
            raise RuntimeError("renderer crashed")

        monkeypatch.setattr(pdf, "render_invoice_pdf", broken)
        with pytest.raises(RuntimeError):
            services.invoice_pdf_store(invoice_id=invoice.pk)
        monkeypatch.undo()
        stored = Invoice.objects.get(pk=invoice.pk)
        assert (stored.status, stored.pdf, stored.pdf_sha256) == (InvoiceStatus.ISSUED, None, "")

        assert services.invoice_pdf_store(invoice_id=invoice.pk) is True
        assert services.invoice_pdf_store(invoice_id=invoice.pk) is False  # once only
        stored = Invoice.objects.get(pk=invoice.pk)
        assert hashlib.sha256(bytes(stored.pdf)).hexdigest() == stored.pdf_sha256
        refused("UPDATE billing_invoice SET pdf = 'x'::bytea WHERE id = %s", [invoice.pk])
        refused(
            "UPDATE billing_invoice SET pdf = NULL, pdf_sha256 = '' WHERE id = %s", [invoice.pk]
        )

    def test_it_refuses_to_issue_twice_or_a_due_date_in_the_past(self, patient, clerk):
        invoice = drafted(patient, by=clerk)
        services.invoice_draft_update(
            invoice=invoice,
            data={"due_date": timezone.localdate() - datetime.timedelta(days=1)},
            by=clerk,
        )
        with pytest.raises(ValidationError, match="due date"):
            services.invoice_issue(invoice=invoice, by=clerk)

        services.invoice_draft_update(invoice=invoice, data={"due_date": None}, by=clerk)
        services.invoice_issue(invoice=invoice, by=clerk)
        with pytest.raises(ValidationError, match="only a draft"):
            services.invoice_issue(invoice=invoice, by=clerk)

    def test_it_keeps_issued_prices_when_the_price_list_changes(self, clerk):
        patient = PatientFactory()
        aspirin = MedicationCostFactory(name="Aspirin", unit_cost=D("4.00"))
        medication(patient, "Aspirin", medication=aspirin)
        invoice = issued(patient, by=clerk)
        digest = invoice.pdf_sha256

        services.medication_cost_save(medication=aspirin, data={"unit_cost": D("9.00")}, by=clerk)
        settings(hospital_name="Renamed Hospital", tax_rate=D("0.2"))

        invoice.refresh_from_db()
        assert invoice.total == D("4.00")
        assert invoice.lines.get().amount == D("4.00")
        assert invoice.pdf_sha256 == digest == hashlib.sha256(bytes(invoice.pdf)).hexdigest()
        assert invoice.snapshot["hospital"]["name"] != "Renamed Hospital"


# --- Immutability at the database level --------------------------------------------------


def refused(sql, params=()):
    """Run `sql` and check the money rules at once (they otherwise wait for the commit)."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute("SET CONSTRAINTS billing_money_balances IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS billing_money_balances DEFERRED")
    return str(caught.value)


class TestImmutable:
    @pytest.fixture
    def invoice(self, patient, clerk):
        return issued(patient, by=clerk)

    def test_it_refuses_a_raw_update_of_an_issued_invoice(self, invoice):
        message = refused(
            "UPDATE billing_invoice SET total = 1, subtotal = 1 WHERE id = %s", [invoice.pk]
        )

        assert "cannot be changed" in message
        assert Invoice.objects.get(pk=invoice.pk).total == D("480.00")

    @pytest.mark.parametrize(
        "column, value",
        [
            ("number", "INV-2000-000001"),
            ("due_date", "2099-01-01"),
            ("pdf", b"%PDF-forged"),
            ("pdf_sha256", "0" * 64),
            ("patient_id", None),
            ("snapshot", "{}"),
        ],
    )
    def test_it_refuses_changing_any_frozen_column(self, invoice, column, value):
        if column == "patient_id":
            value = PatientFactory().pk
        refused(f"UPDATE billing_invoice SET {column} = %s WHERE id = %s", [value, invoice.pk])

    def test_it_refuses_deleting_an_issued_invoice_or_changing_its_lines(self, invoice):
        refused("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])
        line = invoice.lines.first()
        refused("UPDATE billing_invoiceline SET amount = 0 WHERE id = %s", [line.pk])
        refused("UPDATE billing_invoiceline SET is_active = false WHERE id = %s", [line.pk])
        refused("DELETE FROM billing_invoiceline WHERE id = %s", [line.pk])
        refused(
            "INSERT INTO billing_invoiceline (created_at, updated_at, invoice_id, kind,"
            " description, quantity, unit_price, amount, is_active, unpriced) VALUES"
            " (now(), now(), %s, 'other', 'x', 1, 5, 5, true, false)",
            [invoice.pk],
        )

    def test_it_refuses_marking_it_paid_before_it_is_paid_or_moving_it_back(self, invoice):
        refused("UPDATE billing_invoice SET status = 'paid' WHERE id = %s", [invoice.pk])
        refused(
            "UPDATE billing_invoice SET status = 'draft', number = NULL WHERE id = %s", [invoice.pk]
        )
        refused("UPDATE billing_invoice SET void_reason = 'sneaky' WHERE id = %s", [invoice.pk])

    def test_it_allows_the_moves_the_services_make(self, invoice, clerk):
        pay(invoice, "480.00", by=clerk)
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID

        services.credit_note_issue(
            invoice=invoice, reason="Billed the wrong patient", refund_method="cash", by=clerk
        )

        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.CREDITED
        refused("UPDATE billing_invoice SET void_reason = 'other' WHERE id = %s", [invoice.pk])
        refused("UPDATE billing_invoice SET status = 'issued' WHERE id = %s", [invoice.pk])
        refused("UPDATE billing_invoice SET status = 'void' WHERE id = %s", [invoice.pk])

    def test_it_refuses_saving_a_changed_issued_invoice_through_the_orm(self, invoice):
        invoice.refresh_from_db()
        invoice.total = invoice.subtotal = D("1.00")
        with pytest.raises(IntegrityError), transaction.atomic():
            invoice.save()


# --- Void ----------------------------------------------------------------------------------


class TestVoid:
    def test_it_frees_the_items_and_keeps_the_pdf_stamped_void(self, patient, clerk):
        invoice = issued(patient, by=clerk)
        keys = set(invoice.lines.values_list("source_key", flat=True))
        assert unbilled_keys(patient) == set()
        original = bytes(Invoice.objects.get(pk=invoice.pk).pdf)

        services.invoice_void(invoice=invoice, reason="Wrong patient", by=clerk)

        invoice.refresh_from_db()
        assert invoice.void_reason == "Wrong patient"
        assert not invoice.lines.filter(is_active=True).exists()
        assert unbilled_keys(patient) == keys
        assert bytes(invoice.pdf) == original
        assert invoice.void_pdf_sha256 == hashlib.sha256(bytes(invoice.void_pdf)).hexdigest()
        again = drafted(patient, by=clerk)
        assert set(again.lines.values_list("source_key", flat=True)) == keys

    def test_it_needs_a_reason_and_an_issued_invoice(self, patient, clerk):
        draft = drafted(patient, by=clerk)
        with pytest.raises(ValidationError):
            services.invoice_void(invoice=draft, reason="x", by=clerk)
        invoice = services.invoice_issue(invoice=draft, by=clerk)
        with pytest.raises(ValidationError):
            services.invoice_void(invoice=invoice, reason="   ", by=clerk)
        services.invoice_void(invoice=invoice, reason="Duplicate", by=clerk)
        with pytest.raises(ValidationError):
            services.invoice_void(invoice=invoice, reason="Again", by=clerk)

    @pytest.mark.parametrize("paid", ["1.00", "all"])
    def test_it_never_voids_an_invoice_with_payments_and_points_to_a_credit_note(
        self, patient, clerk, paid
    ):
        invoice = issued(patient, by=clerk)
        pay(invoice, str(invoice.total) if paid == "all" else paid, by=clerk)
        status = Invoice.objects.get(pk=invoice.pk).status

        with pytest.raises(ValidationError, match="issue a credit note"):
            services.invoice_void(invoice=invoice, reason="Paid twice", by=clerk)

        assert Invoice.objects.get(pk=invoice.pk).status == status
        assert InvoiceLine.objects.filter(invoice=invoice, is_active=True).exists()
        # Nor behind the service's back: the database refuses the move too.
        message = refused(
            "UPDATE billing_invoice SET status = 'void', void_reason = 'x' WHERE id = %s",
            [invoice.pk],
        )
        assert "credit it instead" in message or "cannot move" in message


# --- Payments --------------------------------------------------------------------------------


class TestPayments:
    @pytest.fixture
    def invoice(self, patient, clerk):
        return issued(patient, by=clerk)  # 480.00

    def test_it_takes_partial_payments_then_marks_it_paid(self, invoice, clerk):
        today = timezone.localdate()
        pay(invoice, "100.00", by=clerk)

        invoice = Invoice.objects.with_paid().get(pk=invoice.pk)
        assert invoice.status == InvoiceStatus.ISSUED
        assert invoice.balance == D("380.00")
        assert invoice.payment_state(today) == ("partly_paid", "Partly paid")

        pay(invoice, "380.00", by=clerk, method=PaymentMethod.CARD)

        invoice = Invoice.objects.with_paid().get(pk=invoice.pk)
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.balance == D("0.00")
        assert invoice.payment_state(today) == ("paid", "Paid")

    def test_it_shows_unpaid_and_overdue(self, invoice):
        due = invoice.due_date
        assert invoice.payment_state(due) == ("unpaid", "Unpaid")
        assert invoice.payment_state(due + datetime.timedelta(days=1)) == ("overdue", "Overdue")

    def test_it_refuses_to_overpay(self, invoice, clerk):
        pay(invoice, "400.00", by=clerk)

        with pytest.raises(ValidationError, match="80.00"):
            pay(invoice, "80.01", by=clerk)
        assert Payment.objects.filter(invoice=invoice).count() == 1

    def test_the_database_refuses_an_overpayment_written_around_the_service(self, invoice):
        Payment.objects.create(
            invoice=invoice, amount=D("479.99"), method="cash", received_at=timezone.now()
        )
        with pytest.raises(IntegrityError, match="more than the balance"), transaction.atomic():
            Payment.objects.create(
                invoice=invoice, amount=D("0.02"), method="cash", received_at=timezone.now()
            )

    def test_the_database_keeps_payments_as_recorded(self, invoice, clerk):
        """The application's role has no UPDATE or DELETE on payments (the owner meets a
        trigger: tests/hms/test_db_roles.py)."""
        payment = pay(invoice, "10.00", by=clerk)
        for sql in (
            "UPDATE billing_payment SET amount = 1 WHERE id = %s",
            "DELETE FROM billing_payment WHERE id = %s",
        ):
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [payment.pk])
        assert Payment.objects.get(pk=payment.pk).amount == Decimal("10.00")

    def test_it_refuses_payments_on_drafts_void_and_paid_invoices(self, patient, clerk):
        draft = drafted(PatientFactory(), by=clerk)
        with pytest.raises(ValidationError, match="issued invoices only"):
            pay(draft, "1.00")
        invoice = issued(patient, by=clerk)
        pay(invoice, "480.00")
        with pytest.raises(ValidationError, match="already paid"):
            pay(invoice, "1.00")
        services.credit_note_issue(invoice=invoice, reason="Duplicate", settle="account", by=clerk)
        with pytest.raises(ValidationError, match="credited"):
            pay(invoice, "1.00")
        unpaid = issued(PatientFactory(), by=clerk)
        services.invoice_void(invoice=unpaid, reason="Duplicate", by=clerk)
        with pytest.raises(ValidationError, match="void"):
            pay(unpaid, "1.00")

    def test_it_refuses_fractions_of_a_cent_and_zero(self, invoice):
        with pytest.raises(ValidationError, match="cents"):
            pay(invoice, "1.005")
        with pytest.raises(ValidationError, match="above zero"):
            pay(invoice, "0")

    def test_it_keeps_the_line_amounts_consistent(self, invoice):
        lines = InvoiceLine.objects.filter(invoice=invoice)
        assert sum(line.amount for line in lines) == invoice.subtotal
