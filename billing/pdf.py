"""Invoice PDFs: WeasyPrint renders `templates/billing/pdf/invoice.html` on A4.

The same template is the browser's print view (`for_print=True`), so what is printed from the
screen and what is downloaded never drift apart. The fonts (DejaVu Sans, in
`static/billing/fonts/`) are embedded, so a PDF prints the same on any machine; WeasyPrint may
read nothing but those font files (no network, no other file).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone

from billing.models import BillingSettings, Invoice, InvoiceLine

if TYPE_CHECKING:
    from patients.models import Patient

TEMPLATE = "billing/pdf/invoice.html"
VOID_STAMP_TEMPLATE = "billing/pdf/void_stamp.html"
FONT_DIR = Path(settings.BASE_DIR, "static", "billing", "fonts").resolve()

FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
ZERO = Decimal("0.00")

_local = threading.local()


def _font_urls(for_browser: bool) -> dict[str, str]:
    """The @font-face sources: static URLs for the browser, file URLs for WeasyPrint."""
    if for_browser:
        return {k: static(f"billing/fonts/{name}") for k, name in FONT_FILES.items()}
    return {k: (FONT_DIR / name).as_uri() for k, name in FONT_FILES.items()}


font_urls = _font_urls  # for the other documents (credit notes, day closes)


def sha256(data: bytes | memoryview) -> str:
    return hashlib.sha256(bytes(data)).hexdigest()


# --- What the invoice says ------------------------------------------------------------------


def _address_lines(patient: Patient) -> list[str]:
    place = " ".join(p for p in (patient.city, patient.region, patient.postal_code) if p)
    return [
        line
        for line in (patient.address_line1, patient.address_line2, place, patient.country)
        if line
    ]


def header_for(*, patient: Patient, settings: BillingSettings) -> dict[str, Any]:
    """The hospital header and the bill-to block, as printed. Issuing freezes this on the
    invoice (`Invoice.snapshot`), so later changes to settings or the patient's address do
    not change an issued invoice."""
    return {
        "hospital": {
            "name": settings.hospital_name,
            "address_lines": [x for x in settings.hospital_address.splitlines() if x.strip()],
            "tax_id": settings.tax_id,
            "payment_terms": settings.payment_terms,
        },
        "patient": {
            "name": patient.full_name,
            "mrn": patient.mrn,
            "address_lines": _address_lines(patient),
            "phone": patient.phone,
        },
    }


def invoice_context(
    invoice: Invoice,
    *,
    lines: Sequence[InvoiceLine] | None = None,
    for_print: bool = False,
    as_issued: bool = False,
) -> dict[str, Any]:
    """Everything the template shows. `as_issued` prints the invoice as at its issue (no
    payments yet): the stored PDF. The print view shows payments to date."""
    header = invoice.snapshot or header_for(
        patient=invoice.patient, settings=BillingSettings.load()
    )
    if lines is None:
        lines = list(
            invoice.lines.all() if invoice.is_void else invoice.lines.filter(is_active=True)
        )
    if as_issued or invoice.is_draft:
        payments, paid = [], ZERO
    else:
        payments = list(invoice.payments.order_by("received_at", "id"))
        paid = sum((p.amount for p in payments), ZERO)
    return {
        "invoice": invoice,
        "lines": lines,
        "hospital": header["hospital"],
        "bill_to": header["patient"],
        "payments": payments,
        "paid": paid,
        "balance": ZERO if invoice.is_void else invoice.total - paid,
        "tax_percent": (invoice.tax_rate * 100).normalize(),
        "for_print": for_print,
        "fonts": _font_urls(for_print),
        "printed_on": timezone.localdate(),
    }


def invoice_html(invoice: Invoice, **options: Any) -> str:
    return render_to_string(TEMPLATE, invoice_context(invoice, **options))


# --- Rendering --------------------------------------------------------------------------------


def _fetcher():
    from weasyprint.urls import URLFetcher

    class FontsOnly(URLFetcher):
        """Fetch the bundled font files and nothing else; a missing font stops the render
        rather than silently printing with some other font."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"}, fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if FONT_DIR not in path.parents:
                raise ValueError(f"An invoice may only load its fonts, not {url}")
            return super().fetch(url, headers)

    return FontsOnly()


def _font_config():
    """One WeasyPrint font configuration per thread: it caches the loaded @font-face files
    between renders (about a third of a cold render), and is not shared across threads."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, with the bundled fonts only."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=_fetcher())
    return document.write_pdf(font_config=_font_config())


def render_invoice_pdf(invoice: Invoice, *, lines: Sequence[InvoiceLine] | None = None) -> bytes:
    """The invoice as issued, on A4 (a voided one carries its VOID mark)."""
    return html_to_pdf(invoice_html(invoice, lines=lines, as_issued=True))


def stamp_void(data: bytes, *, reason: str, voided_at: datetime.datetime) -> bytes:
    """The stored PDF with VOID (and the reason) stamped over every page; the pages
    themselves are the issued ones, untouched."""
    from pypdf import PdfReader, PdfWriter

    stamp_html = render_to_string(
        VOID_STAMP_TEMPLATE,
        {
            "reason": reason,
            "voided_on": timezone.localdate(voided_at),
            "fonts": _font_urls(False),
        },
    )
    stamp = PdfReader(io.BytesIO(html_to_pdf(stamp_html))).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        page.merge_page(stamp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge(documents: Iterable[bytes]) -> bytes:
    """One PDF with the pages of `documents`, in order (batch printing)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in documents:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
