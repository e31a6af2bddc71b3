"""Billing test fixtures."""

import io

import pytest


@pytest.fixture
def fast_pdf(monkeypatch):
    """Replace WeasyPrint with a one-page blank PDF, for tests about pages and rights rather
    than about the PDF itself (rendering is most of an issue's time)."""
    from pypdf import PdfWriter

    from billing import pdf

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    blank = out.getvalue()
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: blank)
    return blank
