"""Reads for the upload page."""

from __future__ import annotations

from django.db.models import QuerySet

from imports.models import WorkbookUpload

RECENT_UPLOADS = 20


def recent_uploads(*, limit: int = RECENT_UPLOADS) -> QuerySet[WorkbookUpload]:
    """The latest uploads with who uploaded and imported them: one query."""
    return WorkbookUpload.objects.select_related("uploaded_by", "confirmed_by").defer("report")[
        :limit
    ]


def upload_get(*, pk: int) -> WorkbookUpload:
    return WorkbookUpload.objects.select_related("uploaded_by", "confirmed_by").get(pk=pk)
