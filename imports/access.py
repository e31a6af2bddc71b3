"""Who may use the import pages: the one choke point every import view calls first.

DESIGN.md's roles: importing workbooks is a job for administrators only (they view and retry
jobs); no other role sees the uploads, which hold patients' data."""

from __future__ import annotations

import enum

from django.http import Http404, HttpRequest

from core.access import AccessTable
from imports.models import WorkbookUpload
from imports.selectors import upload_get


class Need(enum.Enum):
    IMPORT = "import workbooks"  # upload, read the check, confirm or discard, the format


TABLE = AccessTable(Need, {Need.IMPORT: ("imports.add_workbookupload",)})
has_need = TABLE.allows
require = TABLE.require


def get_upload_for_user(
    request: HttpRequest, pk: int, *, need: Need = Need.IMPORT
) -> WorkbookUpload:
    """The upload `pk` if the user has `need`: PermissionDenied first, then Http404."""
    require(request, need)
    try:
        return upload_get(pk=pk)
    except WorkbookUpload.DoesNotExist:
        raise Http404("No such upload.") from None
