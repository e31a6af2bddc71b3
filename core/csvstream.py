"""CSV as a stream of lines: a download of any number of rows never holds them all.

Every CSV the system writes goes through `safe_cell` (here, in `csv_lines` and `write_rows`):
a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
tab or a carriage return) is written with a leading single quote, so Excel and LibreOffice show
it as text (OWASP, "CSV Injection"). A patient named `=HYPERLINK("http://x","y")` comes out
as `'=HYPERLINK("http://x","y")`. Numbers are numbers by construction (int, Decimal, float
values from numeric columns), so a negative amount stays `-12.50`; a negative number held as
text is quoted like any other text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, or for text that a spreadsheet would run as a formula, the text behind `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class _Line:
    """A file-like object whose write() hands the line back, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then one line per row as it comes; None is an empty cell; formula-like
    text is neutralised (`safe_cell`)."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(safe_row(columns))
    for row in rows:
        yield writer.writerow(safe_row(row))


def write_rows(out: Any, rows: Iterable[Iterable[Any]]) -> None:
    """Write `rows` (the header first) as CSV to the file-like `out` (an HttpResponse), each
    cell through `safe_cell`."""
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))
