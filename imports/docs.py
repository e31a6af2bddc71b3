"""The import's documents as the site shows them: docs/workbook-format.md as HTML, and the sample
workbook beside it.

`markdown_html` knows the few Markdown forms that document uses, and no more: `#` headings,
paragraphs, `- ` lists (continued by indented lines), tables with a header row, indented code
blocks, and `code`, **bold** and *emphasis* inside a line. Everything is escaped first, so the
file cannot put markup of its own into the page.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

DOCS = Path(settings.BASE_DIR) / "docs"
FORMAT_DOCUMENT = DOCS / "workbook-format.md"
SAMPLE_WORKBOOK = DOCS / "sample-workbook" / "hospital.xlsx"

_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def _inline(text: str) -> str:
    # Odd pieces between backticks are code: escaped, nothing else applied.
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick is a plain character
        pieces[-2:] = [pieces[-2] + "`" + pieces[-1]]
    out = []
    for index, piece in enumerate(pieces):
        piece = escape(piece)
        if index % 2:
            out.append(f"<code>{piece}</code>")
        else:
            piece = _STRONG.sub(r"<strong>\1</strong>", piece)
            out.append(_EMPHASIS.sub(r"<em>\1</em>", piece))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    head, body = _cells(lines[0]), [_cells(line) for line in lines[2:]]
    header = "".join(f'<th scope="col">{_inline(cell)}</th>' for cell in head)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in body
    )
    return (
        '<div class="table-responsive"><table class="table table-sm">'
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _list(lines: list[str]) -> str:
    items: list[list[str]] = []
    for line in lines:
        if line.startswith("- "):
            items.append([line[2:]])
        else:
            items[-1].append(line.strip())
    return "<ul>" + "".join(f"<li>{_inline(' '.join(item))}</li>" for item in items) + "</ul>"


def _block(lines: list[str]) -> str:
    first = lines[0]
    if first.startswith("#"):
        level = min(len(first) - len(first.lstrip("#")), 6)
        heading = f"<h{level}>{_inline(first[level:].strip())}</h{level}>"
        return heading + (_block(lines[1:]) if lines[1:] else "")
    if all(line.startswith("    ") for line in lines):
        code = escape("\n".join(line[4:] for line in lines))
        return f"<pre><code>{code}</code></pre>"
    if first.startswith("|") and len(lines) > 1 and set(lines[1]) <= set("|-: "):
        return _table(lines)
    if first.startswith("- "):
        return _list(lines)
    return f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>"


def markdown_html(text: str) -> SafeString:
    """`text` (the Markdown subset above) as HTML."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    # Safe: every piece of the text went through escape() in _block or _inline.
    return mark_safe("\n".join(_block(lines) for lines in blocks if lines))


def format_document_html() -> SafeString:
    """docs/workbook-format.md as HTML (read on each call: a few kilobytes)."""
    return markdown_html(FORMAT_DOCUMENT.read_text(encoding="utf-8"))
