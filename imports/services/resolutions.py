"""The clerk's answers to an upload's conflicts (imports.matching): kept with the upload, and
the workbook checked again with them, so that the page shows what they will do before anyone
confirms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core import audit
from imports.matching import EVERY, Resolution
from imports.models import UploadStatus, WorkbookUpload
from imports.services.upload_jobs import upload_job_defer
from imports.services.uploads import _refusal

KINDS = ("patient", "doctor")


def _check_answers(upload: WorkbookUpload, resolutions: Mapping[str, str]) -> None:
    listed = {c["id"]: c for c in upload.report.get("check", {}).get("conflicts", [])}
    for conflict, answer in resolutions.items():
        kind, _, key = conflict.partition(":")
        if key == EVERY:
            offered = (Resolution.SKIP, Resolution.KEEP_BOTH) if kind in KINDS else ()
        else:
            offered = listed[conflict]["options"] if conflict in listed else ()
        if answer not in offered:
            raise ValidationError(
                f"“{answer}” is not an answer offered for {conflict}; nothing was changed."
            )


@transaction.atomic
def workbook_upload_resolve(
    *, upload: WorkbookUpload, resolutions: Mapping[str, str], by: Any
) -> WorkbookUpload:
    """Replace a checked upload's answers to its conflicts with `resolutions` (conflict id,
    e.g. `patient:P0000005`, or `patient:*` for every patient conflict without an answer of
    its own -> Resolution) and check the workbook again with them, in a worker (the upload is
    `checking` until then). "Same person" is answered one conflict at a time only.
    Raises UploadNotConfirmable when the upload is no longer checked, ValidationError for an
    answer the conflict does not offer. The answers go to the audit log.
    Cost here: four statements and one audit row; the check runs in a worker."""
    upload = (
        WorkbookUpload.objects.select_for_update(of=("self",))
        .select_related("confirmed_by")
        .get(pk=upload.pk)
    )
    if upload.status != UploadStatus.CHECKED:
        raise _refusal(upload, "resolved")
    _check_answers(upload, resolutions)
    before = upload.report.get("resolutions", {})
    after = dict(sorted(resolutions.items()))
    upload.report = {**upload.report, "resolutions": after}
    upload.status = UploadStatus.CHECKING
    upload.progress = "Checking again with your answers"
    upload.full_clean()
    upload.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=upload,
        changes={"resolutions": {"before": before, "after": after}},
    )
    upload_job_defer(upload)
    return upload
