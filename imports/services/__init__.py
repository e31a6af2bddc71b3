"""Writes of the imports app: the workbook import itself (`workbook`), the upload page's
check-then-confirm workflow (`uploads`; its background jobs in `upload_jobs`) and the clerk's
answers to conflicts (`resolutions`)."""

from imports.services.resolutions import workbook_upload_resolve
from imports.services.uploads import (
    UploadNotConfirmable,
    upload_path,
    workbook_upload_check,
    workbook_upload_confirm,
    workbook_upload_discard,
    workbook_upload_retry,
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
    "workbook_upload_resolve",
    "workbook_upload_retry",
]
