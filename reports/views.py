"""Report pages and their CSV downloads. Who may open what is decided in one place:
`get_report_for_user` (and `reports_for_user` for the list), from the registry's roles."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from core import roles
from core.audit import Action, audit_record
from doctors.models import Doctor
from reports.export import csv_lines
from reports.forms import ReportFilterForm
from reports.registry import REPORTS, Report, reports_for_role


@dataclass(frozen=True)
class ReportAccess:
    report: Report
    # Set for a doctor: their reports cover this doctor only, whatever the query string says.
    own_doctor: Doctor | None = None


def reports_for_user(request: HttpRequest) -> list[Report]:
    """The reports the user's role may open; PermissionDenied when there are none."""
    allowed = reports_for_role(roles.role_of(request.user))
    if not allowed:
        raise PermissionDenied("Your role opens no reports.")
    return allowed


def get_report_for_user(request: HttpRequest, name: str) -> ReportAccess:
    """The report `name` if the user's role may open it: Http404 for an unknown report,
    PermissionDenied for one of another role, or a doctor asking for another doctor."""
    report = REPORTS.get(name)
    if report is None:
        raise Http404("No such report.")
    role = roles.role_of(request.user)
    if not report.allows(role):
        raise PermissionDenied("Your role does not open this report.")
    if role != roles.DOCTOR:
        return ReportAccess(report)
    own = Doctor.objects.filter(user=request.user).first()
    if own is None:
        raise PermissionDenied("Your login is not linked to a doctor.")
    asked = request.GET.get("doctor")
    if asked and asked != own.code:
        raise PermissionDenied("Doctors see their own figures only.")
    return ReportAccess(report, own_doctor=own)


def report_list(request: HttpRequest) -> HttpResponse:
    allowed = reports_for_user(request)
    return render(request, "reports/report_list.html", {"reports": allowed})


def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    access = get_report_for_user(request, name)
    report = access.report
    form = ReportFilterForm(request.GET, report=report, own_doctor=access.own_doctor)
    context = {"report": report, "form": form, "own_doctor": access.own_doctor}
    if form.is_valid():
        filters = form.filters()
        rows = list(report.rows(filters, limit=report.page_rows + 1).rows)
        shown = rows[: report.page_rows]
        context.update(rows=shown, truncated=len(rows) > len(shown), filters=filters)
        if report.page_context:
            context.update(report.page_context(filters, shown))
    return render(request, "reports/report_detail.html", context)


def report_csv(request: HttpRequest, name: str) -> HttpResponse:
    access = get_report_for_user(request, name)
    report = access.report
    form = ReportFilterForm(request.GET, report=report, own_doctor=access.own_doctor)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    filters = form.filters()
    # Exports of patient data are logged (DESIGN.md: the audit log records exports).
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        changes={"report": name, "filters": filters.as_query()},
    )
    stem = "_".join([report.name, *filters.as_query().values()])
    response = StreamingHttpResponse(
        csv_lines(report.rows(filters, stream=True)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response
