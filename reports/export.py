"""A report's rows as CSV lines (streamed) or as a plain-text table (the command's default)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from core import csvstream
from reports.selectors import ReportRows


def csv_lines(result: ReportRows) -> Iterator[str]:
    """The header (the contract's column names), then one line per row; None is empty."""
    return csvstream.csv_lines(result.columns, result.rows)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def text_table(result: ReportRows) -> Iterator[str]:
    """Columns padded to their widest value; numbers aligned right. Holds every row."""
    raw = list(result.rows)
    rows = [tuple(_text(v) for v in row) for row in raw]
    numeric = [
        any(isinstance(row[i], int | Decimal) for row in raw) for i in range(len(result.columns))
    ]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(result.columns)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    yield line(result.columns)
    yield "  ".join("-" * w for w in widths)
    for row in rows:
        yield line(row)
