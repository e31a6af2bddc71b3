from django.shortcuts import render
from django.utils import timezone

from clinical import views as clinical_views
from core import roles
from hms import selectors


def home(request):
    """Each role's landing page, with live figures from the database."""
    role = roles.role_of(request.user)
    today = timezone.localdate()
    context = {"today": today, "role": role}
    if role == roles.FRONT_DESK:
        context["by_status"] = selectors.appointments_by_status(day=today)
        context["total_today"] = sum(n for _, _, n in context["by_status"])
        return render(request, "hms/home_front_desk.html", context)
    if role == roles.DOCTOR:
        # The doctor's home is their day: the clinical app's page, under the "My day" heading.
        return clinical_views.doctor_day(request, template_name="hms/home_doctor.html")
    if role == roles.BILLING_CLERK:
        context["figures"] = selectors.billing_figures()
        return render(request, "hms/home_billing.html", context)
    if role == roles.ADMINISTRATOR:
        context["figures"] = selectors.hospital_figures(today=today)
        context["by_status"] = selectors.appointments_by_status(day=today)
        return render(request, "hms/home_admin.html", context)
    return render(request, "hms/home_no_role.html", context, status=403)
