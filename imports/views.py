"""The administrators' import page: upload a workbook, read the check, confirm or discard.

Who may: holders of `imports.add_workbookupload` (the Administrator role); decided in one
place, `get_upload_for_user` / `require_import_access`."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from imports.docs import SAMPLE_WORKBOOK, format_document_html
from imports.forms import WorkbookUploadForm
from imports.models import WORKING, UploadStatus, WorkbookUpload
from imports.selectors import recent_uploads, upload_get
from imports.services import (
    UploadNotConfirmable,
    workbook_upload_check,
    workbook_upload_confirm,
    workbook_upload_discard,
)
from imports.services.uploads import upload_is_stalled

# Problems listed on the page; all of them are in the CSV download.
PROBLEMS_SHOWN = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require_import_access(request: HttpRequest) -> None:
    if not request.user.has_perm("imports.add_workbookupload"):
        raise PermissionDenied("Only administrators import workbooks.")


def get_upload_for_user(request: HttpRequest, pk: int) -> WorkbookUpload:
    require_import_access(request)
    try:
        return upload_get(pk=pk)
    except WorkbookUpload.DoesNotExist:
        raise Http404("No such upload.") from None


def upload(request: HttpRequest) -> HttpResponse:
    require_import_access(request)
    bound = request.method == "POST"
    form = WorkbookUploadForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        checked = workbook_upload_check(files=form.cleaned_data["files"], by=request.user)
        return redirect(checked)
    context = {"form": form, "uploads": recent_uploads()}
    return render(request, "imports/workbookupload_form.html", context)


def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workbook = get_upload_for_user(request, pk)
    stage = "import" if "import" in workbook.report else "check"
    report = workbook.report.get(stage, {})
    stalled = upload_is_stalled(workbook)
    context = {
        "upload": workbook,
        "working": workbook.status in WORKING and not stalled,
        "stalled": stalled,
        "stage": stage,
        "report": report,
        "errors": report.get("errors", [])[:PROBLEMS_SHOWN],
        "warnings": report.get("warnings", [])[:PROBLEMS_SHOWN],
        "problems_shown": PROBLEMS_SHOWN,
    }
    return render(request, "imports/workbookupload_detail.html", context)


@require_POST
def upload_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    workbook = get_upload_for_user(request, pk)
    try:
        workbook = workbook_upload_confirm(upload=workbook, by=request.user)
    except UploadNotConfirmable as refusal:
        messages.warning(request, str(refusal))
    else:
        if workbook.status == UploadStatus.IMPORTED:
            outcome = workbook.report["import"]["outcome"]
            messages.success(request, f"The workbook was imported. {outcome}")
        elif workbook.status != UploadStatus.IMPORTING:
            messages.error(request, workbook.report["import"]["outcome"])
    return redirect(workbook)


@require_POST
def upload_discard(request: HttpRequest, pk: int) -> HttpResponse:
    workbook = get_upload_for_user(request, pk)
    try:
        workbook_upload_discard(upload=workbook, by=request.user)
    except UploadNotConfirmable as refusal:
        messages.warning(request, str(refusal))
        return redirect(workbook)
    messages.success(request, "The upload was discarded; nothing was imported.")
    return redirect("imports:upload")


def upload_problems(request: HttpRequest, pk: int) -> HttpResponse:
    """Every problem and warning of the upload's latest report, as CSV."""
    workbook = get_upload_for_user(request, pk)
    report = workbook.report.get("import") or workbook.report.get("check", {})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="upload-{workbook.pk}-problems.csv"'
    writer = csv.writer(response)
    writer.writerow(["kind", "sheet", "row", "column", "message"])
    for kind in ("errors", "warnings"):
        for sheet, row, column, message in report.get(kind, []):
            writer.writerow([kind[:-1], sheet, row or "", column, message])
    return response


def workbook_format(request: HttpRequest) -> HttpResponse:
    """docs/workbook-format.md: what the workbook must hold, inside the site's layout."""
    require_import_access(request)
    context = {"document": format_document_html()}
    return render(request, "imports/workbook_format.html", context)


def sample_workbook(request: HttpRequest) -> FileResponse:
    """The made-up sample workbook (docs/sample-workbook/hospital.xlsx), to try an import."""
    require_import_access(request)
    return FileResponse(
        SAMPLE_WORKBOOK.open("rb"), as_attachment=True, filename="hospital.xlsx", content_type=XLSX
    )
