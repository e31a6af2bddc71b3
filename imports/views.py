"""The administrators' import page: upload a workbook, read the check, confirm or discard.

Who may: administrators; decided in one place, `imports.access`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.csvstream import csv_lines, write_rows
from imports.access import Need, get_upload_for_user, require
from imports.docs import SAMPLE_WORKBOOK, format_document_html
from imports.forms import WorkbookUploadForm
from imports.forms_resolve import ConflictResolutionForm
from imports.matching import DECIDED_LABELS, Resolution
from imports.models import WORKING, UploadStatus
from imports.selectors import CHANGES_PER_PAGE, change_pages, changes_for_csv, recent_uploads
from imports.services import (
    UploadNotConfirmable,
    workbook_upload_check,
    workbook_upload_confirm,
    workbook_upload_discard,
    workbook_upload_resolve,
    workbook_upload_retry,
)
from imports.services.upload_jobs import upload_is_queued, upload_is_stalled
from jobs.selectors import workers_alive

# Problems listed on the page; all of them are in the CSV download.
PROBLEMS_SHOWN = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(request: HttpRequest) -> HttpResponse:
    require(request, Need.IMPORT)
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
    queued = not stalled and upload_is_queued(workbook)
    context = {
        "upload": workbook,
        "working": workbook.status in WORKING and not stalled,
        "stalled": stalled,
        "queued": queued,
        # Nobody will take a queued job while no worker runs: say so rather than wait.
        "no_worker": queued and not workers_alive(),
        "stage": stage,
        "report": report,
        "errors": report.get("errors", [])[:PROBLEMS_SHOWN],
        "warnings": report.get("warnings", [])[:PROBLEMS_SHOWN],
        "problems_shown": PROBLEMS_SHOWN,
        # The check's updates, a page per sheet (the sheet and page asked for, the first
        # page of the others).
        "change_pages": change_pages(
            upload=workbook,
            summary=workbook.report.get("check", {}).get("changes", []),
            sheet=request.GET.get("sheet", ""),
            page=request.GET.get("page", ""),
        )
        if workbook.status in (UploadStatus.CHECKED, UploadStatus.IMPORTED)
        else [],
        "check": workbook.report.get("check", {}),
        "requested_sheet": request.GET.get("sheet", ""),
        "per_page": CHANGES_PER_PAGE,
        "me": request.user.pk,
    }
    if workbook.can_confirm:
        context["resolve_form"] = form = _resolution_form(workbook)
        context["conflicts"] = form.conflict_fields()
    else:
        context["conflicts"] = [
            ({**c, "resolution_label": DECIDED_LABELS[Resolution(c["resolution"])]}, None)
            for c in report.get("conflicts", [])
        ]
    return render(request, "imports/workbookupload_detail.html", context)


def _resolution_form(workbook, data=None) -> ConflictResolutionForm:
    conflicts = workbook.report.get("check", {}).get("conflicts", [])
    chosen = workbook.report.get("resolutions", {})
    return ConflictResolutionForm(data, conflicts=conflicts, chosen=chosen)


@require_POST
def upload_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the answers to the upload's conflicts; the workbook is checked again with them."""
    workbook = get_upload_for_user(request, pk)
    form = _resolution_form(workbook, request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the answers offered for each conflict.")
        return redirect(workbook)
    try:
        workbook_upload_resolve(upload=workbook, resolutions=form.resolutions(), by=request.user)
    except UploadNotConfirmable as refusal:
        messages.warning(request, str(refusal))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your answers are saved; the workbook is checked again.")
    return redirect(workbook)


@require_POST
def upload_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    workbook = get_upload_for_user(request, pk)
    apply_updates = request.POST.get("apply_updates") == "on"
    try:
        workbook = workbook_upload_confirm(
            upload=workbook, by=request.user, apply_updates=apply_updates
        )
    except UploadNotConfirmable as refusal:
        messages.warning(request, str(refusal))
    else:
        held = "" if apply_updates else " Records already in the system are left as they are."
        messages.success(request, "The import has started; this page follows it." + held)
    return redirect(workbook)


@require_POST
def upload_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run an interrupted check or import again."""
    workbook = get_upload_for_user(request, pk)
    try:
        workbook_upload_retry(upload=workbook, by=request.user)
    except UploadNotConfirmable as refusal:
        messages.warning(request, str(refusal))
    else:
        messages.success(request, "It runs again; this page follows it.")
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
    rows = [
        [kind[:-1], sheet, row or "", column, message]
        for kind in ("errors", "warnings")
        for sheet, row, column, message in report.get(kind, [])
    ]
    # Column names and messages quote the workbook's cells: neutralise formulas.
    write_rows(response, [["kind", "sheet", "row", "column", "message"], *rows])
    return response


def upload_changes(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every update the upload's check found, field by field, as CSV."""
    workbook = get_upload_for_user(request, pk)
    columns = ["sheet", "row", "record", "workbook_id", "needs_care", "field", "before", "after"]
    rows = (
        [sheet, row or "", label, key, why, field, before, after]
        for sheet, row, label, key, why, fields in changes_for_csv(upload=workbook)
        for field, before, after in fields
    )
    response = StreamingHttpResponse(
        csv_lines(columns, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="upload-{workbook.pk}-changes.csv"'
    return response


def workbook_format(request: HttpRequest) -> HttpResponse:
    """docs/workbook-format.md: what the workbook must hold, inside the site's layout."""
    require(request, Need.IMPORT)
    context = {"document": format_document_html()}
    return render(request, "imports/workbook_format.html", context)


def sample_workbook(request: HttpRequest) -> FileResponse:
    """The made-up sample workbook (docs/sample-workbook/hospital.xlsx), to try an import."""
    require(request, Need.IMPORT)
    return FileResponse(
        SAMPLE_WORKBOOK.open("rb"), as_attachment=True, filename="hospital.xlsx", content_type=XLSX
    )
