"""The navigation bar: each role sees only the entries it may use."""

from dataclasses import dataclass

from django.urls import NoReverseMatch

from core.roles import role_of
from core.urls import named_url


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None
    staff_only: bool = False


# Later features add their pages here; an entry whose URL does not exist yet is left out.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Home", "home"),
    NavItem("Patients", "patients:patient_list", "patients.view_patient"),
    NavItem("Appointments", "appointments:calendar_day", "appointments.view_appointment"),
    NavItem("Arrivals", "appointments:arrivals", "appointments.add_attendance"),
    NavItem("Waitlist", "appointments:waitlist", "appointments.add_appointment"),
    NavItem("Doctors' hours", "doctors:schedule_list", "doctors.change_workinghours"),
    NavItem("Ready to bill", "billing:ready_to_bill", "billing.add_invoice"),
    NavItem("Invoices", "billing:invoice_list", "billing.view_invoice"),
    NavItem("Price lists", "billing:price_list", "billing.view_medicationcost"),
    NavItem("Reports", "reports:report_list", None),
    NavItem("Audit log", "clinical:audit_list", "core.view_auditevent"),
    NavItem("Import", "imports:upload", "imports.add_workbookupload"),
    NavItem("Admin", "admin:index", staff_only=True),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    items = []
    for item in NAV_ITEMS:
        if role is None and item.url_name != "home":
            continue
        if item.staff_only and not user.is_staff:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = named_url(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "active": request.path == url})
    return {"nav_items": items, "user_role": role}
