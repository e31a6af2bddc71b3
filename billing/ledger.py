"""Money after an invoice is issued: credit notes, refunds, the patient's account (deposits
and credits) and the cashier's day close.

How the money balances (one formula, `billing_invoice_balance` in the database):

    invoice balance = total - credited - paid + refunded + moved to the account

A paid or part-paid invoice is never voided: a credit note credits it in full (its lines are
freed for a corrected invoice) and what was paid on it is, in the same transaction, refunded
or carried to the patient's account. At every commit the database checks that each touched
invoice's balance lies between 0 and what is still charged, that its status says the same
(issued, paid, credited), and that no patient's account is below zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class CashMethod(models.TextChoices):
    """How money comes in or goes back over the counter."""

    CASH = "cash", "Cash"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"


class CreditNote(TimeStampedModel):
    """Credits an issued invoice in full. Own gapless series CN-YYYY-NNNNNN; never changed."""

    number = models.CharField(max_length=20, unique=True)
    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="credit_note"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="credit_notes"
    )
    subtotal = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.BinaryField(editable=False)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^CN-[0-9]{4}-[0-9]{6}$"),
                name="%(app_label)s_%(class)s_number_format",
                violation_error_message="Credit note numbers look like CN-YYYY-NNNNNN.",
            ),
            models.CheckConstraint(
                condition=Q(total__gt=0)
                & Q(tax__gte=0)
                & Q(total=models.F("subtotal") + models.F("tax")),
                name="%(app_label)s_%(class)s_total_adds_up",
                violation_error_message="A credit note's total is its subtotal plus tax, above 0.",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="%(app_label)s_%(class)s_needs_reason",
                violation_error_message="Give the reason for the credit note.",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("billing:credit_note_pdf", args=[self.pk])


class CreditNoteNumberCounter(TimeStampedModel):
    """The last credit note number of a year (locked while one is issued: gapless)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(last_number__lte=999999),
                name="%(app_label)s_%(class)s_six_digits",
                violation_error_message="A year has at most 999999 credit note numbers.",
            ),
        ]

    def __str__(self) -> str:
        return f"CN-{self.year}-{self.last_number:06d}"


class Refund(TimeStampedModel):
    """Money given back: what was overpaid on a credited invoice, or from the account."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="refunds"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        help_text="The invoice whose payments are given back; empty: from the account.",
    )
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=16, choices=CashMethod.choices)
    reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=255)
    refunded_at = models.DateTimeField()
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["refunded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message="A refund must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(method__in=CashMethod.values),
                name="%(app_label)s_%(class)s_method_valid",
                violation_error_message="Unknown refund method.",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} by {self.get_method_display()}"


class AccountEntryKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    FROM_INVOICE = "from_invoice", "Credit from an invoice"
    APPLIED = "applied", "Used on an invoice"
    REFUNDED = "refunded", "Refunded"


class AccountEntry(TimeStampedModel):
    """One movement on a patient's account (what the hospital holds for them). The account's
    balance is the sum of its entries and never goes below zero."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="account_entries"
    )
    kind = models.CharField(max_length=16, choices=AccountEntryKind.choices)
    amount = models.DecimalField(**MONEY, help_text="In (+) or out (-) of the account.")
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=16, choices=CashMethod.choices, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name_plural = "account entries"
        indexes = [models.Index(fields=["patient", "received_at"], name="billing_account_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(kind="deposit") & Q(amount__gt=0) & ~Q(method=""))
                    | (Q(kind="from_invoice") & Q(amount__gt=0) & Q(invoice__isnull=False))
                    | (Q(kind="applied") & Q(amount__lt=0) & Q(payment__isnull=False))
                    | (Q(kind="refunded") & Q(amount__lt=0) & Q(refund__isnull=False))
                ),
                name="%(app_label)s_%(class)s_kind_fits",
                violation_error_message=(
                    "A deposit or credit comes in (with its method or invoice); money used or "
                    "refunded goes out (with its payment or refund)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"


class CashierDayClose(TimeStampedModel):
    """A cashier's day, counted and closed: no money movement of theirs can be dated in it
    afterwards. `starts_at`/`ends_at` are the hospital's local day."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    figures = models.JSONField(default=dict)
    expected_cash = models.DecimalField(**MONEY)
    counted_cash = models.DecimalField(**MONEY, null=True, blank=True)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.BinaryField(editable=False)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)

    class Meta:
        ordering = ["-day", "cashier"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier", "day"],
                name="%(app_label)s_%(class)s_once",
                violation_error_message="This cashier's day is already closed.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="%(app_label)s_%(class)s_day_bounds",
                violation_error_message="A day ends after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"Day close {self.day} ({self.cashier})"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class InvoiceBatch(TimeStampedModel):
    """Many invoices printed as one PDF, put together by a job (billing.print_batch)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invoice_ids = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=BatchStatus.choices, default="queued")
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "invoice batches"

    def __str__(self) -> str:
        return f"Batch of {len(self.invoice_ids)} invoices ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("billing:batch_detail", args=[self.pk])
