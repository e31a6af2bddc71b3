"""Reads for the billing pages. Each runs a fixed number of queries, whatever the row count."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from billing import rule, summaries
from billing.models import (
    MONEY,
    BillingSettings,
    BillTotalsShard,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    MedicationCost,
    PatientBill,
    ProcedureFee,
)
from core.dates import local_day_bounds
from core.pagination import RowCompare
from patients.models import Patient
from patients.selectors import patients_by_mrn_or_name

ZERO = Value(Decimal("0.00"), output_field=DecimalField(**MONEY))


def patients_matching(q: str) -> QuerySet[Patient]:
    """Patients whose MRN is `q` or whose name contains it (accent- and case-blind): the
    reports' patient filter (patients.selectors.patients_by_mrn_or_name), so the MRN's
    unique index or the trigram index on the full name answers it."""
    return patients_by_mrn_or_name(q)


# --- Ready to bill -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyRow:
    patient: Patient
    items: int
    unpriced: int
    item_sum: Decimal
    latest: datetime.date | None
    preview: rule.Totals


@dataclass(frozen=True)
class ReadyPage:
    """`next_key` / `previous_key`: the `after` / `before` tokens of the pages beside it."""

    rows: list[ReadyRow]
    count: int
    next_key: str | None = None
    previous_key: str | None = None
    # The hospital's currency (the billing settings the previews were priced with).
    currency: str = ""

    @property
    def has_next(self) -> bool:
        return self.next_key is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_key is not None


# The list's order, the index billing_patientbill_latest's (a bill with no date last), and
# the same read backwards.
_NEWEST = (F("latest").desc(nulls_last=True), F("patient_id").desc())
_OLDEST = (F("latest").asc(nulls_first=True), F("patient_id").asc())
# "2024-03-01.123": the (latest, patient) of a row; ".123" when it has no latest.
_READY_KEY = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})?\.([0-9]{1,19})")


def _ready_key(bill: PatientBill) -> str:
    return f"{bill.latest.isoformat() if bill.latest else ''}.{bill.patient_id}"


def _read_ready_key(token: str) -> tuple[datetime.date | None, int]:
    """The (latest, patient id) a token names; ValueError for anything else."""
    match = _READY_KEY.fullmatch(token) if len(token) <= 40 else None
    if match is None or int(match[2]) >= 2**63:  # past a bigint: no patient, a SQL error
        raise ValueError(f"Not a page of the ready-to-bill list: {token[:40]!r}")
    try:
        return (datetime.date.fromisoformat(match[1]) if match[1] else None), int(match[2])
    except ValueError as error:  # 2024-02-30, year 0
        raise ValueError("Not a page of the ready-to-bill list.") from error


def _bills_beyond(
    bills: QuerySet[PatientBill], key: tuple[datetime.date | None, int], *, newer: bool, size: int
) -> QuerySet[PatientBill]:
    """The first `size` bills past `key`, in list order (`newer`: backwards from it). One query
    of index range scans: a row comparison from the key (no OFFSET, no filter over the rows
    before it), and the bills with no date, which sort last, as a part of their own (a NULL
    never passes a comparison), merged by a UNION ALL whose parts stop at `size` rows each.
    The triggers date every bill (each item has a date), but the column allows none."""
    latest, pk = key
    order = _OLDEST if newer else _NEWEST
    if latest is None:  # a key in the last section, the bills with no date
        undated = bills.filter(latest__isnull=True)
        same = undated.filter(patient_id__gt=pk) if newer else undated.filter(patient_id__lt=pk)
        other = bills.filter(latest__isnull=False) if newer else None
    else:
        same = bills.filter(RowCompare(("latest", "patient_id"), ">" if newer else "<", key))
        other = None if newer else bills.filter(latest__isnull=True)
    same = same.order_by(*order)[:size]
    if other is None:
        return same
    return same.union(other.order_by(*order)[:size], all=True).order_by(*order)[:size]


def ready_to_bill(
    *,
    q: str = "",
    since: datetime.date | None = None,
    unpriced_only: bool = False,
    limit: int = 50,
    after: str | None = None,
    before: str | None = None,
) -> ReadyPage:
    """Patients with unbilled items, newest item first, with the total their draft would
    come to: the `limit` after the key `after`, before `before`, or the first. Three queries:
    settings, the count, the page with its patients. A bad token: ValueError, before any.

    Reads the per-patient sums the database keeps by the billing rule (`PatientBill`): the
    page `limit + 1` rows of the index (latest desc, patient desc) from its key, as cheap deep
    in a million bills as first (`_bills_beyond`); unfiltered, the count is the sixteen rows
    of sums (`BillTotalsShard.bills`), filtered it counts the matching summaries."""
    key = _read_ready_key(before or after) if (before or after) else None
    settings_row = BillingSettings.load()
    bills = PatientBill.objects.select_related("patient")
    if q.strip():
        bills = bills.filter(patient__in=patients_matching(q))
    if since is not None:
        bills = bills.filter(latest__gte=since)
    if unpriced_only:
        bills = bills.filter(unpriced_medications__gt=0)
    if q.strip() or since is not None or unpriced_only:
        count = bills.count()
    else:
        count = BillTotalsShard.objects.aggregate(n=Coalesce(Sum("bills"), 0))["n"]
    if key is None:
        page = list(bills.order_by(*_NEWEST)[: limit + 1])
    else:
        page = list(_bills_beyond(bills, key, newer=bool(before), size=limit + 1))
    more = len(page) > limit
    page = page[:limit][::-1] if before else page[:limit]
    rows = []
    for bill in page:
        item_sum = bill.item_sum(settings_row.default_surgery_fee)
        rows.append(
            ReadyRow(
                patient=bill.patient,
                items=bill.items,
                unpriced=bill.unpriced_medications,
                item_sum=item_sum,
                latest=bill.latest,
                preview=rule.preview_totals(item_sum=item_sum, settings=settings_row),
            )
        )
    older, newer = (True, more) if before else (more, key is not None)
    return ReadyPage(
        rows=rows,
        count=count,
        next_key=_ready_key(page[-1]) if page and older else None,
        previous_key=_ready_key(page[0]) if page and newer else None,
        currency=settings_row.currency,
    )


@dataclass(frozen=True)
class Preview:
    items: list[rule.Item]
    minimum_charge: Decimal | None
    totals: rule.Totals
    draft: Invoice | None
    settings: BillingSettings


def billing_preview(*, patient: Patient) -> Preview:
    """The patient's unbilled billable items as the draft would list them (no diagnoses,
    no notes: what a billing clerk may see), and the patient's open draft if any."""
    settings_row = BillingSettings.load()
    items = rule.items_for_patient(patient=patient, settings=settings_row)
    item_sum = sum((i.amount for i in items), rule.ZERO)
    minimum = settings_row.minimum_charge if rule.needs_minimum_charge(item_sum) else None
    return Preview(
        items=items,
        minimum_charge=minimum,
        totals=rule.preview_totals(item_sum=item_sum, settings=settings_row),
        draft=Invoice.objects.without_pdfs()
        .filter(patient=patient, status=InvoiceStatus.DRAFT)
        .first(),
        settings=settings_row,
    )


# --- Invoices ----------------------------------------------------------------------------

# Filters of the invoice list on top of the stored statuses: what a clerk asks for.
STATUS_FILTERS: dict[str, Q] = {
    "draft": Q(status=InvoiceStatus.DRAFT),
    "open": Q(status=InvoiceStatus.ISSUED),
    "unpaid": Q(status=InvoiceStatus.ISSUED, amount_paid=0),
    "partly_paid": Q(status=InvoiceStatus.ISSUED, amount_paid__gt=0),
    "paid": Q(status=InvoiceStatus.PAID),
    "void": Q(status=InvoiceStatus.VOID),
}


INVOICE_NUMBER = re.compile(r"^INV-[0-9]{4}-[0-9]{6}$", re.IGNORECASE)
# The totals of a search (which the tally cannot answer) add up at most this many invoices.
TOTALS_CAP = 10_000


# What a row of the list shows (the state needs status, due date and amount paid; the amounts
# their invoice's own currency): the PDFs, the snapshot and the patient's record stay behind.
LIST_COLUMNS = (
    "number",
    "status",
    "patient_id",
    "issued_at",
    "created_at",
    "due_date",
    "total",
    "amount_paid",
    "currency",
    "patient__mrn",
    "patient__first_name",
    "patient__last_name",
)


def invoice_list(
    *,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    overdue: bool = False,
    today: datetime.date,
) -> QuerySet[Invoice]:
    """Invoices newest first (by `dated`: the issue time, the creation time for drafts, then
    id), `paid` annotated and the patient joined; only the columns the list shows
    (`LIST_COLUMNS`: another field costs a query per row).

    Every filter keeps the order of an index (billing/migrations/0012): by date alone, after
    the status, after the patient; dates are bounds on `dated`, an invoice number the unique
    index. So a page reads its rows in index order and stops (`invoice_page`)."""
    invoices = (
        Invoice.objects.select_related("patient")
        .only(*LIST_COLUMNS)
        .annotate(dated=Coalesce("issued_at", "created_at"), paid=F("amount_paid"))
        .order_by("-dated", "-id")
    )
    if status:
        invoices = invoices.filter(STATUS_FILTERS[status])
    if overdue:
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, due_date__lt=today)
    if date_from:
        invoices = invoices.filter(dated__gte=local_day_bounds(date_from)[0])
    if date_to:
        invoices = invoices.filter(dated__lt=local_day_bounds(date_to)[1])
    if q.strip():
        # One or the other, never OR-ed: each is then one index (numbers are upper case).
        if INVOICE_NUMBER.match(q.strip()):
            invoices = invoices.filter(number=q.strip().upper())
        else:
            invoices = invoices.filter(patient__in=patients_matching(q))
    return invoices


@dataclass(frozen=True)
class InvoicePage:
    """One page of the invoice list; `next_key` / `previous_key` are the `after` / `before`
    tokens of the older and newer pages (None: there is none)."""

    object_list: list[Invoice]
    next_key: str | None
    previous_key: str | None

    @property
    def has_next(self) -> bool:
        return self.next_key is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_key is not None


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICRO = datetime.timedelta(microseconds=1)


def _page_key(invoice: Invoice) -> str:
    return f"{(invoice.dated - _EPOCH) // _MICRO}.{invoice.pk}"


def _read_key(token: str) -> tuple[datetime.datetime, int]:
    """The (dated, id) a token names; ValueError for anything else."""
    micros, _, pk = token.partition(".")
    if not (micros.lstrip("-").isdigit() and pk.isdigit()) or len(token) > 40:
        raise ValueError(f"Not a page of the invoice list: {token[:40]!r}")
    try:
        return _EPOCH + int(micros) * _MICRO, int(pk)
    except OverflowError as error:
        raise ValueError("Not a page of the invoice list.") from error


def invoice_page(
    invoices: QuerySet[Invoice],
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = 50,
) -> InvoicePage:
    """The `size` invoices of `invoices` (ordered as `invoice_list` orders them) after the key
    `after` (older ones) or before `before` (newer ones), or the first page. One query that
    reads `size + 1` rows of the list's index from the key: no OFFSET, no count, so a page
    deep in a million invoices costs what the first does. A bad token raises ValueError."""
    if before:
        dated, pk = _read_key(before)
        rows = list(
            invoices.filter(Q(dated__gte=dated), Q(dated__gt=dated) | Q(pk__gt=pk)).order_by(
                "dated", "id"
            )[: size + 1]
        )
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return InvoicePage(
            object_list=rows,
            next_key=_page_key(rows[-1]) if rows else None,
            previous_key=_page_key(rows[0]) if rows and more_newer else None,
        )
    if after:
        dated, pk = _read_key(after)
        invoices = invoices.filter(Q(dated__lte=dated), Q(dated__lt=dated) | Q(pk__lt=pk))
    rows = list(invoices[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return InvoicePage(
        object_list=rows,
        next_key=_page_key(rows[-1]) if rows and more_older else None,
        previous_key=_page_key(rows[0]) if rows and after else None,
    )


def invoice_totals(
    invoices: QuerySet[Invoice],
    *,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    overdue: bool = False,
    today: datetime.date,
    **_: Any,
) -> dict[str, Any]:
    """Count, and invoiced / paid / balance over the issued and paid ones, for the list's
    filters. One query: over the maintained tally (billing/summaries.py), a few rows per day
    whatever the number of invoices; a search adds up its own invoices, at most TOTALS_CAP
    of them (`capped` then says the figures are of the first ones only)."""
    if not q.strip():
        tally = summaries.invoice_tally(
            status=status,
            date_from=date_from,
            date_to=date_to,
            overdue_on=today if overdue else None,
        )
        if tally is not None:
            return tally
    billed = Q(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PAID])
    first = invoices.order_by().values("pk")[: TOTALS_CAP + 1]
    totals = Invoice.objects.filter(pk__in=first).aggregate(
        count=Count("id"),
        invoiced=Coalesce(Sum("total", filter=billed), ZERO),
        paid_total=Coalesce(Sum("amount_paid", filter=billed), ZERO),
    )
    totals["balance"] = totals["invoiced"] - totals["paid_total"]
    totals["capped"] = totals["count"] > TOTALS_CAP
    return totals


def invoice_for_page(*, pk: int) -> Invoice:
    """One invoice for its detail page, patient joined, PDFs left in the database."""
    return (
        Invoice.objects.without_pdfs()
        .with_paid()
        .select_related("patient", "created_by", "issued_by", "voided_by")
        .get(pk=pk)
    )


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.all())


def invoice_payments(invoice: Invoice) -> QuerySet:
    return invoice.payments.select_related("received_by").order_by("received_at", "id")


def invoices_for_batch(*, ids: list[int]) -> list[Invoice]:
    """The issued (or voided) invoices among `ids`, with their stored PDFs, in number order."""
    return list(
        Invoice.objects.filter(pk__in=ids)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("number")
        .only("id", "number", "status", "pdf", "void_pdf")
    )


def stored_pdf(*, pk: int) -> Invoice:
    """Just what serving a stored PDF needs (no joins, no payments)."""
    return Invoice.objects.only(
        "id", "number", "status", "patient_id", "pdf", "pdf_sha256", "void_pdf", "void_pdf_sha256"
    ).get(pk=pk)


# --- Price lists -------------------------------------------------------------------------


def medication_prices(*, q: str = "", include_inactive: bool = False) -> QuerySet[MedicationCost]:
    rows = MedicationCost.objects.order_by(Lower("name"))
    if not include_inactive:
        rows = rows.filter(is_active=True)
    if q.strip():
        rows = rows.filter(name__icontains=q.strip())
    return rows


def procedure_fees(*, q: str = "", include_inactive: bool = False) -> QuerySet[ProcedureFee]:
    rows = ProcedureFee.objects.order_by(Lower("name"))
    if not include_inactive:
        rows = rows.filter(is_active=True)
    if q.strip():
        rows = rows.filter(name__icontains=q.strip())
    return rows


# --- Money after issue ---------------------------------------------------------------------


def credit_note_of(invoice: Invoice):
    """The invoice's credit note (PDF left in the database), or None."""
    from billing.models import CreditNote

    return CreditNote.objects.defer("pdf").filter(invoice=invoice).first()


def refunds_of(invoice: Invoice) -> list:
    return list(invoice.refunds.select_related("refunded_by").order_by("refunded_at", "id"))


def account_entries(patient) -> list:
    """The patient's account, oldest first, with a running balance (`held_after`)."""
    from billing.models import AccountEntry

    entries = list(
        AccountEntry.objects.filter(patient=patient)
        .select_related("invoice", "payment__invoice", "refund", "received_by")
        .order_by("received_at", "id")
    )
    held = Decimal("0.00")
    for entry in entries:
        held += entry.amount
        entry.held_after = held
    return entries


def open_invoices_of(patient) -> list[Invoice]:
    return list(
        Invoice.objects.without_pdfs()
        .with_paid()
        .filter(patient=patient, status=InvoiceStatus.ISSUED)
        .order_by("issued_at")
    )
