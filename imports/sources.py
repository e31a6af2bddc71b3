"""Opening a workbook: an `.xlsx` file (path or open file, read with openpyxl in read-only
mode) or a folder of CSV files named after the sheets. Each sheet opens lazily as its header
and an iterator over its rows, so a large workbook is streamed, not loaded whole."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from imports.archive import check_workbook_size
from imports.cells import text


class Sheet:
    """One sheet's header and data rows as they come from the file."""

    def __init__(self, header: list[Any], rows: Iterator[tuple[Any, ...]]) -> None:
        self.header = [text(h) for h in header]
        self.rows = rows


def _xlsx_sheets(source: Any) -> tuple[dict[str, Callable[[], Sheet]], Callable[[], None]]:
    import openpyxl

    check_workbook_size(source)  # raises WorkbookTooLarge before openpyxl unpacks anything
    book = openpyxl.load_workbook(source, read_only=True, data_only=True)

    def opener(worksheet):
        def open_sheet() -> Sheet:
            rows = worksheet.iter_rows(values_only=True)
            header = next(rows, ())
            return Sheet(list(header or ()), rows)

        return open_sheet

    sheets = {sheet_key(ws.title): opener(ws) for ws in book.worksheets}
    return sheets, book.close


def _csv_sheets(folder: Path) -> tuple[dict[str, Callable[[], Sheet]], Callable[[], None]]:
    handles: list[IO[str]] = []

    def opener(path: Path):
        def open_sheet() -> Sheet:
            # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
            handle = path.open(newline="", encoding="utf-8-sig")
            handles.append(handle)
            reader = csv.reader(handle)
            header = next(reader, [])
            return Sheet(header, (tuple(r) for r in reader))

        return open_sheet

    def close() -> None:
        for handle in handles:
            handle.close()

    sheets = {
        sheet_key(p.stem): opener(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() == ".csv"
    }
    return sheets, close


def sheet_key(name: str) -> str:
    # SQL Server's import names the tables `Patient$`; accept that spelling of a sheet too.
    return name.strip().rstrip("$").lower()


def open_workbook(
    path_or_file: Any,
) -> tuple[str, dict[str, Callable[[], Sheet]], Callable[[], None]]:
    if hasattr(path_or_file, "read"):
        name = getattr(path_or_file, "name", None) or "uploaded workbook"
        if hasattr(path_or_file, "seek"):
            path_or_file.seek(0)
        return (str(name), *_xlsx_sheets(path_or_file))
    path = Path(path_or_file)
    if path.is_dir():
        return (str(path), *_csv_sheets(path))
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.suffix.lower() == ".csv":
        raise ValueError(
            f"{path} is one CSV file; give the folder holding the six CSV files instead"
        )
    return (str(path), *_xlsx_sheets(path))
