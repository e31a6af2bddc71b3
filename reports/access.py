"""Who may open which report: the one choke point of the report pages and their CSV.

The permission table is the registry (`reports.registry.REPORTS`): each report names the roles
of DESIGN.md that open it (front desk: appointments; doctors: their own workload; billing:
bills and revenue; administrators: all). The one rule on top: a doctor's reports cover their
own figures only, whatever the query string asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from core import roles
from doctors.models import Doctor
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
