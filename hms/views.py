from django.shortcuts import render
from django.utils import timezone

from hms import roles, selectors


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
        doctor = getattr(request.user, "doctor", None)
        context["doctor"] = doctor
        context["appointments"] = (
            list(selectors.doctor_day(doctor=doctor, day=today)) if doctor else []
        )
        return render(request, "hms/home_doctor.html", context)
    if role == roles.BILLING_CLERK:
        context["figures"] = selectors.billing_figures()
        return render(request, "hms/home_billing.html", context)
    if role == roles.ADMINISTRATOR:
        context["figures"] = selectors.hospital_figures(today=today)
        context["by_status"] = selectors.appointments_by_status(day=today)
        return render(request, "hms/home_admin.html", context)
    return render(request, "hms/home_no_role.html", context, status=403)
