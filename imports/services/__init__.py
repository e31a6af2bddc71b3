"""Writes of the imports app: the workbook import itself (`workbook`) and the upload page's
check-then-confirm workflow (`uploads`)."""

from imports.services.uploads import (
    UploadNotConfirmable,
    upload_path,
    workbook_upload_check,
    workbook_upload_confirm,
    workbook_upload_discard,
)
from imports.services.workbook import COUNT_ORDER, COUNT_UNITS, ImportReport, workbook_import

__all__ = [
    "COUNT_ORDER",
    "COUNT_UNITS",
    "ImportReport",
    "UploadNotConfirmable",
    "upload_path",
    "workbook_import",
    "workbook_upload_check",
    "workbook_upload_confirm",
    "workbook_upload_discard",
]
