"""The import's documents as the site shows them: docs/workbook-format.md as HTML, and the sample
workbook beside it.

`markdown_html` renders it with Python-Markdown (tables included), with raw HTML turned off:
markup written in the file shows as text, so the file cannot put markup of its own into the
page.
"""

from __future__ import annotations

from pathlib import Path

import markdown
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

DOCS = Path(settings.BASE_DIR) / "docs"
FORMAT_DOCUMENT = DOCS / "workbook-format.md"
SAMPLE_WORKBOOK = DOCS / "sample-workbook" / "hospital.xlsx"


def markdown_html(text: str) -> SafeString:
    """`text` (Markdown) as HTML, with any HTML in it escaped."""
    md = markdown.Markdown(extensions=["tables"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # Bootstrap's table look; a Markdown table's header cells head its columns (screen readers).
    html = (
        md.convert(text)
        .replace("<table>", '<table class="table table-sm table-bordered">')
        .replace("<th>", '<th scope="col">')
    )
    return mark_safe(html)  # raw HTML in the text was escaped, see above


def format_document_html() -> SafeString:
    """docs/workbook-format.md as HTML (read on each call: a few kilobytes)."""
    return markdown_html(FORMAT_DOCUMENT.read_text(encoding="utf-8"))
