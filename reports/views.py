"""Report pages and their CSV downloads. Who may open what is decided in one place:
`reports.access`, from the registry's roles."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render

from core import roles
from core.audit import Action, audit_record, audit_view
from doctors.selectors import doctors_matching
from patients.selectors import patient_ids_for_mrns
from reports.access import get_report_for_user, reports_for_user
from reports.export import csv_lines
from reports.forms import AFTER, SIZE, ReportFilterForm
from reports.registry import PAGE_SIZE, Filters, Report
from reports.selectors import BadPageKey, hospital_currency


def report_list(request: HttpRequest) -> HttpResponse:
    allowed = reports_for_user(request)
    return render(request, "reports/report_list.html", {"reports": allowed})


def doctor_options(request: HttpRequest) -> HttpResponse:
    """The doctor filter's suggestions (an htmx swap into its datalist): doctors whose code or
    name holds what was typed (`?doctor=`), at most twenty. Staff who open reports only; a
    doctor's reports are pinned to their own figures, so they get no list."""
    reports_for_user(request)
    doctors = []
    if roles.role_of(request.user) != roles.DOCTOR:
        doctors = doctors_matching(request.GET.get("doctor", "")[:100])
    return render(request, "reports/_doctor_options.html", {"doctors": doctors})


def _page(report: Report, filters: Filters, form: ReportFilterForm) -> dict:
    """The rows of one page. A paged report reads `size` rows after the page token by keyset
    (one more tells whether a next page exists); an aggregate report its first rows."""
    if not (report.paged or report.doctor_paged):
        rows = list(report.rows(filters, limit=report.page_rows + 1).rows)
        shown = rows[: report.page_rows]
        return {"rows": shown, "truncated": len(rows) > len(shown)}
    size, after = form.page_size(), form.after()
    stale = form.stale_page
    if report.doctor_paged:
        read = partial(report.rows, filters, doctors=size + 1)
    else:
        read = partial(report.rows, filters, limit=size + 1, keyed=True)
    try:
        rows = list(read(after=after).rows)
    except BadPageKey:
        stale, after = True, None
        rows = list(read().rows)
    if report.doctor_paged:
        shown, last = _doctor_page(report, rows, size)
    else:
        width = len(report.columns)
        shown = [row[:width] for row in rows[:size]]
        last = rows[size - 1][width] if len(rows) > size else None
    query = QueryDict(mutable=True)
    query.update(filters.as_query())
    if size != PAGE_SIZE:
        query[SIZE] = str(size)
    first = query.urlencode()
    next_query = None
    if last is not None:
        query[AFTER] = last
        next_query = query.urlencode()
    return {
        "rows": shown,
        "paged": True,
        "page_size": size,
        "first_page": first if after else None,
        "next_page": next_query,
        "stale_page": stale,
    }


def _doctor_page(report: Report, rows: list[tuple], size: int) -> tuple[list[tuple], str | None]:
    """The rows with at most `size` doctors (the selector read one more, which tells that a
    next page exists), and the code of the last doctor shown when it does."""
    dimension, code = report.columns.index("dimension"), report.columns.index("doctor_code")
    doctors = [row for row in rows if row[dimension] == "doctor"]
    if len(doctors) <= size:
        return rows, None
    extra = doctors[size]
    return [row for row in rows if row is not extra], doctors[size - 1][code]


def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    access = get_report_for_user(request, name)
    report = access.report
    form = ReportFilterForm(request.GET, report=report, own_doctor=access.own_doctor, page=True)
    context = {"report": report, "form": form, "own_doctor": access.own_doctor}
    if form.is_valid():
        filters = form.filters()
        page = _page(report, filters, form)
        shown = page["rows"]
        csv_query = QueryDict(mutable=True)
        csv_query.update(filters.as_query())
        context.update(page, filters=filters, csv_query=csv_query)
        if report.page_context:
            context.update(report.page_context(filters, shown))
        if report.money_columns and "currency" not in context:
            context["currency"] = hospital_currency()  # one query, whatever the rows
        if report.clinical:
            mrn = report.columns.index("mrn")
            audit_view(
                actor=request.user,
                patient_ids=patient_ids_for_mrns(row[mrn] for row in shown),
                changes={"report": name, "filters": filters.as_query()},
            )
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
