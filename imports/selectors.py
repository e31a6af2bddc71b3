"""Reads for the upload page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.params import is_digits
from imports.models import UploadChange, WorkbookUpload

RECENT_UPLOADS = 20


def recent_uploads(*, limit: int = RECENT_UPLOADS) -> QuerySet[WorkbookUpload]:
    """The latest uploads with who uploaded and imported them: one query."""
    return WorkbookUpload.objects.select_related("uploaded_by", "confirmed_by").defer("report")[
        :limit
    ]


def upload_get(*, pk: int) -> WorkbookUpload:
    return WorkbookUpload.objects.select_related("uploaded_by", "confirmed_by").get(pk=pk)


# Updates listed per sheet on one page of the upload's check.
CHANGES_PER_PAGE = 50
# Rows read per query for the CSV of changes.
CSV_CHUNK = 2_000


@dataclass
class ChangePage:
    """One sheet's updates as the check page lists them: a page of them, with the counts."""

    sheet: str
    total: int
    risky: int
    number: int
    pages: int
    changes: list[UploadChange]

    @property
    def first(self) -> int:
        return (self.number - 1) * CHANGES_PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.changes) - 1

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def change_pages(
    *, upload: WorkbookUpload, summary: list[dict[str, Any]], sheet: str = "", page: str = ""
) -> list[ChangePage]:
    """Per sheet of `summary` (the check's [{sheet, total, risky}]), a page of the upload's
    updates: page `page` of `sheet`, the first of the others. One query per sheet that has
    updates, each a range of the (upload, sheet, position) index."""
    pages = []
    for block in summary:
        total = block["total"]
        count = max(1, -(-total // CHANGES_PER_PAGE))
        number = 1
        if block["sheet"] == sheet and is_digits(page, at_most=9):
            number = min(max(int(page), 1), count)
        start = (number - 1) * CHANGES_PER_PAGE
        changes = list(
            UploadChange.objects.filter(upload=upload, sheet=block["sheet"]).order_by("position")[
                start : start + CHANGES_PER_PAGE
            ]
        )
        pages.append(
            ChangePage(block["sheet"], total, block.get("risky", 0), number, count, changes)
        )
    return pages


def changes_for_csv(*, upload: WorkbookUpload) -> Iterator[tuple[Any, ...]]:
    """Every update of the upload, in the page's order, as (sheet, row, label, key, why,
    fields): a query per `CSV_CHUNK`, so any number streams out."""
    after = -1
    while True:
        chunk = list(
            UploadChange.objects.filter(upload=upload, position__gt=after)
            .order_by("position")
            .values_list("position", "sheet", "row", "label", "key", "why", "fields")[:CSV_CHUNK]
        )
        yield from (item[1:] for item in chunk)
        if len(chunk) < CSV_CHUNK:
            return
        after = chunk[-1][0]
