"""The invoice PDF as a person reads it: text read back with pypdf, fonts embedded, VOID
stamped, stored once and served as stored."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing import pdf, services
from billing.models import Invoice
from tests.billing.factories import drafted, issued, medication, settings, surgery, visit
from tests.factories import MedicationCostFactory, PatientFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db

D = Decimal


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(bytes(data)))
    return "\n".join(page.extract_text() for page in reader.pages)


def fonts_of(data: bytes) -> dict[str, bool]:
    """Base font name -> whether its file is embedded, over every page."""
    fonts = {}
    for page in PdfReader(io.BytesIO(bytes(data))).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


@pytest.fixture
def invoice():
    settings(hospital_name="St. Aurelia General Hospital", tax_rate=D("0.0750"))
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0004242")
    MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    medication(patient, "metformin", quantity=2)
    surgery(patient, "Appendectomy")
    visit(patient, fee="80.00")
    return Invoice.objects.get(pk=issued(patient).pk)


def test_it_prints_the_number_patient_lines_and_totals(invoice):
    text = text_of(invoice.pdf)

    for expected in (
        "St. Aurelia General Hospital",
        invoice.number,
        "Ada Lovelace",
        "MRN P0004242",
        "Metformin",
        "25.00",
        "Appendectomy",
        "400.00",
        "Consultation with Dr",
        "80.00",
        "Subtotal",
        "505.00",
        "Tax (7.5%)",
        "37.88",
        "USD\xa0542.88",  # code, no-break space, thousands separated: core money filter
        "Balance due",
        f"Due date {invoice.due_date:%Y-%m-%d}"[:8],
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_it_embeds_every_font(invoice):
    fonts = fonts_of(invoice.pdf)

    assert fonts and all(fonts.values()), fonts
    assert all("HMS-Sans" in name for name in fonts), fonts


def test_it_numbers_the_pages_of_a_long_invoice():
    patient = PatientFactory()
    for _ in range(60):
        surgery(patient, "Dressing change")

    data = Invoice.objects.get(pk=issued(patient).pk).pdf
    pages = PdfReader(io.BytesIO(bytes(data))).pages

    assert len(pages) >= 2
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1].extract_text()


def test_it_stamps_void_on_a_copy_and_keeps_the_issued_pdf(invoice):
    services.invoice_void(invoice=invoice, reason="Billed the wrong patient", by=None)
    invoice.refresh_from_db()

    assert "VOID" not in text_of(invoice.pdf)
    stamped = text_of(invoice.void_pdf)
    assert "VOID" in stamped and "Billed the wrong patient" in stamped
    assert invoice.number in stamped
    assert invoice.pdf_sha256 == hashlib.sha256(bytes(invoice.pdf)).hexdigest()


def test_it_renders_through_the_contract_service_with_a_void_mark_once_voided(invoice):
    assert invoice.number in text_of(services.invoice_render_pdf(invoice=invoice))

    services.invoice_void(invoice=invoice, reason="Duplicate", by=None)
    rendered = text_of(services.invoice_render_pdf(invoice=Invoice.objects.get(pk=invoice.pk)))

    assert "VOID" in rendered and "Duplicate" in rendered


def test_it_serves_the_stored_pdf_without_rendering_again(
    invoice, login, billing_clerk, monkeypatch
):
    def no_render(html):
        raise AssertionError("a download must not render")

    monkeypatch.setattr(pdf, "html_to_pdf", no_render)

    response = login(billing_clerk).get(reverse("billing:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(invoice.pdf)
    assert response["ETag"] == f'"{invoice.pdf_sha256}"'
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]


def test_it_serves_the_void_stamped_copy_and_on_request_the_original(invoice, login, billing_clerk):
    services.invoice_void(invoice=invoice, reason="Duplicate", by=None)
    invoice.refresh_from_db()
    client = login(billing_clerk)
    url = reverse("billing:invoice_pdf", args=[invoice.pk])

    assert client.get(url).content == bytes(invoice.void_pdf)
    assert client.get(url, {"original": "1"}).content == bytes(invoice.pdf)


def test_it_has_no_pdf_for_a_draft(login, billing_clerk):
    draft = drafted(PatientFactory())

    response = login(billing_clerk).get(reverse("billing:invoice_pdf", args=[draft.pk]))

    assert response.status_code == 404


def test_it_prints_a_batch_as_one_pdf_of_the_stored_ones(invoice, login, billing_clerk):
    second = Invoice.objects.get(pk=issued(PatientFactory(mrn="P0009999")).pk)
    draft = drafted(PatientFactory())

    response = login(billing_clerk).get(
        reverse("billing:invoice_batch_pdf"), {"ids": [invoice.pk, second.pk, draft.pk]}
    )

    assert response.status_code == 200
    merged = PdfReader(io.BytesIO(response.content))
    assert len(merged.pages) == 2
    text = text_of(response.content)
    assert invoice.number in text and second.number in text and "P0009999" in text


def test_it_sends_an_empty_batch_back_to_the_list(login, billing_clerk):
    response = login(billing_clerk).get(reverse("billing:invoice_batch_pdf"))

    assert response.status_code == 302
    assert response.url == reverse("billing:invoice_list")


@pytest.mark.parametrize("ids", ["²", "x1", "-3", "99999999999999999999999"])
def test_it_sends_a_batch_of_bad_ids_back_to_the_list(login, billing_clerk, ids):
    response = login(billing_clerk).get(reverse("billing:invoice_batch_pdf"), {"ids": ids})

    assert response.status_code == 302
    assert response.url == reverse("billing:invoice_list")


def test_it_shows_the_same_invoice_in_the_print_view_with_payments(invoice, login, billing_clerk):
    services.payment_record(
        invoice=invoice, amount=D("42.88"), method="card", by=None, reference="POS-7"
    )

    page = login(billing_clerk).get(reverse("billing:invoice_print", args=[invoice.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    for expected in (invoice.number, "MRN P0004242", "Appendectomy", "542.88", "POS-7", "500.00"):
        assert expected in html, expected
    assert "data-print" in html and "billing/js/billing.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    assert "/static/billing/fonts/DejaVuSans.ttf" in html
