import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Lower, Substr
from django.urls import reverse

from core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}
# A price list's largest price: far below what an invoice holds (9,999,999,999.99), so a
# price typed with too many digits is refused where it is typed, not when a bill overflows.
MAX_PRICE = Decimal("1000000.00")
PRICE = {**MONEY, "validators": [MaxValueValidator(MAX_PRICE, f"Enter at most {MAX_PRICE:,}.")]}
ZERO = Value(Decimal("0.00"), output_field=models.DecimalField(**MONEY))


def _not_negative(field: str, what: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}),
        name=f"%(app_label)s_%(class)s_{field}_not_negative",
        violation_error_message=f"{what} cannot be negative.",
    )


def _unique_name_ci(what: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        Lower("name"),
        name="%(app_label)s_%(class)s_name_unique_ci",
        violation_error_message=f"A {what} with this name already exists (names ignore case).",
    )


class MedicationCost(TimeStampedModel):
    """The seed's Medication_Cost: the medication price list."""

    name = models.CharField(max_length=200)
    unit_cost = models.DecimalField(**PRICE)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "medication price"
        constraints = [_unique_name_ci("medication"), _not_negative("unit_cost", "A unit cost")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("billing:medicationcost_update", args=[self.pk])


class ProcedureFee(TimeStampedModel):
    """Surgery and procedure prices."""

    name = models.CharField(max_length=200)
    fee = models.DecimalField(**PRICE)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "procedure fee"
        constraints = [_unique_name_ci("procedure"), _not_negative("fee", "A fee")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("billing:procedurefee_update", args=[self.pk])


class BillingSettings(TimeStampedModel):
    """The one row of billing settings (its primary key is always 1)."""

    hospital_name = models.CharField(max_length=200, default="General Hospital")
    hospital_address = models.TextField(blank=True)
    tax_id = models.CharField("tax id", max_length=60, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    default_surgery_fee = models.DecimalField(**PRICE, default=Decimal("50.00"))
    minimum_charge = models.DecimalField(**PRICE, default=Decimal("50.00"))
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0"), help_text="0.0750 for 7.5 %."
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    payment_terms = models.TextField(blank=True, default="Payment due within 30 days.")

    class Meta:
        verbose_name = "billing settings"
        verbose_name_plural = "billing settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="%(app_label)s_%(class)s_single_row",
                violation_error_message="There is only one set of billing settings.",
            ),
            _not_negative("default_surgery_fee", "The default surgery fee"),
            _not_negative("minimum_charge", "The minimum charge"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=1),
                name="%(app_label)s_%(class)s_tax_rate_valid",
                violation_error_message="The tax rate is a fraction between 0 and 1.",
            ),
        ]

    def __str__(self) -> str:
        return "Billing settings"

    def get_absolute_url(self) -> str:
        return reverse("billing:settings_edit")

    @classmethod
    def load(cls) -> "BillingSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    CREDITED = "credited", "Credited"


class InvoiceQuerySet(models.QuerySet):
    def without_pdfs(self) -> "InvoiceQuerySet":
        """Leave the stored PDFs in the database: lists never need their bytes."""
        return self.defer("pdf", "void_pdf")

    def with_paid(self) -> "InvoiceQuerySet":
        """Annotate `paid` (sum of payments, 0.00 without any) as one correlated subquery."""
        paid = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(s=Sum("amount"))
            .values("s")
        )
        return self.annotate(paid=Coalesce(Subquery(paid), ZERO))

    def open(self) -> "InvoiceQuerySet":
        """Issued and not fully paid."""
        return self.filter(status=InvoiceStatus.ISSUED)

    def overdue(self, today: datetime.date) -> "InvoiceQuerySet":
        return self.open().filter(due_date__lt=today)


class Invoice(TimeStampedModel):
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    subtotal = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax = models.DecimalField(**MONEY, default=Decimal("0.00"))
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Kept by the database (billing/migrations/0012): a trigger adds each payment as it is
    # recorded, and the deferred check refuses any other value at commit.
    amount_paid = models.DecimalField(
        **MONEY,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
        help_text="The sum of its payments, kept by the database as each is recorded.",
    )
    currency = models.CharField(max_length=3, default="USD")
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        help_text="The rate the tax was computed at (frozen when issued).",
    )
    snapshot = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Hospital header and bill-to address as printed, frozen when issued.",
    )
    void_pdf = models.BinaryField(
        "voided PDF", null=True, blank=True, editable=False, help_text="The PDF stamped VOID."
    )
    void_pdf_sha256 = models.CharField("voided PDF SHA-256", max_length=64, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "invoice"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="Unknown invoice status.",
            ),
            models.CheckConstraint(
                condition=(Q(status=InvoiceStatus.DRAFT) & Q(number__isnull=True))
                | (~Q(status=InvoiceStatus.DRAFT) & Q(number__isnull=False)),
                name="%(app_label)s_%(class)s_number_iff_issued",
                violation_error_message="Only an issued invoice has a number, and it has one.",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__regex=r"^INV-[0-9]{4}-[0-9]{6}$"),
                name="%(app_label)s_%(class)s_number_format",
                violation_error_message="Invoice numbers look like INV-YYYY-NNNNNN.",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax")),
                name="%(app_label)s_%(class)s_total_adds_up",
                violation_error_message="The total must be the subtotal plus tax.",
            ),
            _not_negative("tax", "Tax"),
            _not_negative("total", "An invoice total"),
            models.CheckConstraint(
                condition=~Q(status=InvoiceStatus.VOID) | ~Q(void_reason=""),
                name="%(app_label)s_%(class)s_void_needs_reason",
                violation_error_message="Give a reason to void an invoice.",
            ),
            # Two clerks drafting the same patient at once: the second insert fails here.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status=InvoiceStatus.DRAFT),
                name="%(app_label)s_%(class)s_one_draft_per_patient",
                violation_error_message="This patient already has a draft invoice.",
            ),
        ]
        indexes = [
            # Invoice list: filter by status, newest first.
            models.Index(fields=["status", "-created_at"], name="billing_invoice_status_idx"),
            # Patient's invoices.
            models.Index(fields=["patient", "-created_at"], name="billing_invoice_patient_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_void(self) -> bool:
        return self.status == InvoiceStatus.VOID

    @property
    def paid_amount(self) -> Decimal:
        """Payments so far: the `with_paid()` annotation when present, else one query."""
        paid = getattr(self, "paid", None)
        if paid is None:
            paid = self.payments.aggregate(s=Coalesce(Sum("amount"), ZERO))["s"]
        return paid

    @property
    def balance(self) -> Decimal:
        """What the patient still owes on it. Refunds and moves to the account only follow
        a credit note, which settles a credited invoice to 0.00 (billing/ledger.py)."""
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID, InvoiceStatus.CREDITED):
            return Decimal("0.00")
        return self.total - self.paid_amount

    def payment_state(self, today: datetime.date) -> tuple[str, str]:
        """(key, label) of what a clerk needs to know: draft, paid, partly paid, unpaid,
        overdue (with how much was paid) or void."""
        if self.status in (
            InvoiceStatus.DRAFT,
            InvoiceStatus.PAID,
            InvoiceStatus.VOID,
            InvoiceStatus.CREDITED,
        ):
            return self.status, self.get_status_display()
        partly = self.paid_amount > 0
        if self.due_date and self.due_date < today:
            return "overdue", "Overdue, partly paid" if partly else "Overdue"
        return ("partly_paid", "Partly paid") if partly else ("unpaid", "Unpaid")


class InvoiceNumberCounter(TimeStampedModel):
    """The last invoice number given out in a year. Issuing locks the year's row
    (SELECT ... FOR UPDATE) in the issuing transaction, so numbers are gapless and unique."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = "invoice number counter"
        constraints = [
            models.CheckConstraint(
                condition=Q(last_number__lte=999999),
                name="%(app_label)s_%(class)s_six_digits",
                violation_error_message="A year has at most 999999 invoice numbers.",
            ),
        ]

    def __str__(self) -> str:
        return f"INV-{self.year}-{self.last_number:06d}"


# An invoice line's source_key names what it bills: history:<id> or attendance:<id>.
HISTORY_PREFIX = "history:"
ATTENDANCE_PREFIX = "attendance:"


def _typed_key(prefix: str) -> models.GeneratedField:
    """The id after `prefix` in source_key, as a bigint the database computes and stores."""
    digits = Substr("source_key", len(prefix) + 1)
    return models.GeneratedField(
        expression=Case(
            When(source_key__startswith=prefix, then=Cast(digits, models.BigIntegerField()))
        ),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
    )


class LineKind(models.TextChoices):
    MEDICATION = "medication", "Medication"
    SURGERY = "surgery", "Surgery"
    CONSULTATION = "consultation", "Consultation"
    MINIMUM_CHARGE = "minimum_charge", "Minimum charge"
    OTHER = "other", "Other"


class InvoiceLine(TimeStampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    source_key = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text="What the line bills, e.g. history:123 or attendance:45.",
    )
    # The billed item as typed keys, computed by the database from source_key: "already
    # billed" is an index probe on these (see the constraints), never a string join.
    history_id = _typed_key(HISTORY_PREFIX)
    attendance_id = _typed_key(ATTENDANCE_PREFIX)
    is_active = models.BooleanField(default=True)
    service_date = models.DateField(
        null=True, blank=True, help_text="When the billed item was given or recorded."
    )
    unpriced = models.BooleanField(
        default=False, help_text="A medication missing from the price list, billed at 0.00."
    )

    class Meta:
        ordering = ["invoice", "id"]
        verbose_name = "invoice line"
        constraints = [
            # Billed at most once: one active line per source item.
            models.UniqueConstraint(
                fields=["source_key"],
                condition=Q(is_active=True, source_key__isnull=False),
                name="%(app_label)s_%(class)s_source_billed_once",
                violation_error_message="This item is already on another invoice.",
            ),
            models.UniqueConstraint(
                fields=["history_id"],
                condition=Q(is_active=True),
                name="%(app_label)s_%(class)s_history_billed_once",
                violation_error_message="This item is already on another invoice.",
            ),
            models.UniqueConstraint(
                fields=["attendance_id"],
                condition=Q(is_active=True),
                name="%(app_label)s_%(class)s_attendance_billed_once",
                violation_error_message="This visit is already on another invoice.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LineKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
                violation_error_message="Unknown kind of invoice line.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
                violation_error_message="The quantity must be more than zero.",
            ),
            # The billing rule adds the minimum charge once, when the items come to 0.00.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(kind=LineKind.MINIMUM_CHARGE),
                name="%(app_label)s_%(class)s_one_minimum_charge",
                violation_error_message="An invoice has at most one minimum-charge line.",
            ),
            # Only "other" lines (discounts) may be negative.
            models.CheckConstraint(
                condition=Q(kind=LineKind.OTHER) | Q(unit_price__gte=0),
                name="%(app_label)s_%(class)s_price_not_negative",
                violation_error_message="Only an 'other' line (a discount) can be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    INSURANCE = "insurance", "Insurance"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    ACCOUNT = "account", "Patient account"


class Payment(TimeStampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    received_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["invoice", "received_at", "id"]
        verbose_name = "payment"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message="A payment must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values),
                name="%(app_label)s_%(class)s_method_valid",
                violation_error_message="Unknown payment method.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.get_method_display()} for {self.invoice}"


# Credit notes, refunds, the patient's account and the cashier's day close (billing/ledger.py).
from billing.bill_summary import BillTotalsShard, PatientBill  # noqa: E402
from billing.ledger import (  # noqa: E402
    AccountEntry,
    AccountEntryKind,
    BatchStatus,
    CashierDayClose,
    CashMethod,
    CreditNote,
    CreditNoteNumberCounter,
    InvoiceBatch,
    Refund,
)

__all__ = [
    "AccountEntry",
    "AccountEntryKind",
    "BatchStatus",
    "BillTotalsShard",
    "InvoiceBatch",
    "PatientBill",
    "BillingSettings",
    "CashMethod",
    "CashierDayClose",
    "CreditNote",
    "CreditNoteNumberCounter",
    "Invoice",
    "InvoiceLine",
    "InvoiceNumberCounter",
    "InvoiceStatus",
    "LineKind",
    "MedicationCost",
    "Payment",
    "PaymentMethod",
    "ProcedureFee",
    "Refund",
]
