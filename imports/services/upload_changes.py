"""The updates a checked upload would make, kept row by row (UploadChange) for its page and its
CSV: all of them, however many, so that the clerk can read every update before confirming it.

Cost: one DELETE and one COPY per check, whatever the number of changes."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection

from core import bulk
from imports.changes import Change
from imports.models import UploadChange, WorkbookUpload

_COLUMNS = (
    "upload_id",
    "sheet",
    "position",
    "key",
    "label",
    "row",
    "risk",
    "why",
    "note",
    "user_id",
    "fields",
)


def _text(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def upload_changes_replace(upload: WorkbookUpload, changes: Iterable[Change]) -> int:
    """Replace the upload's kept changes with `changes` (in the order listed). In the caller's
    transaction; returns how many were written."""
    UploadChange.objects.filter(upload=upload).delete()
    key_max = UploadChange._meta.get_field("key").max_length
    label_max = UploadChange._meta.get_field("label").max_length

    def rows():
        for position, change in enumerate(changes):
            shown = change.as_dict()
            yield (
                upload.pk,
                change.sheet,
                position,
                _text(change.key, key_max),
                _text(change.label, label_max),
                change.row,
                change.risk,
                change.why,
                shown["note"],
                change.user_id,
                json.dumps(shown["fields"]),
            )

    with connection.wrap_database_errors, connection.cursor() as wrapper:
        return bulk.copy_rows(wrapper.cursor, UploadChange._meta.db_table, _COLUMNS, rows())


def upload_changes_delete(upload: WorkbookUpload) -> None:
    """Drop the upload's kept changes (they hold patients' data), with its files."""
    UploadChange.objects.filter(upload=upload).delete()
