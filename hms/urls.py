from django.contrib import admin
from django.urls import include, path

from hms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("doctors/", include("doctors.urls")),
    path("appointments/", include("appointments.urls")),
    path("clinical/", include("clinical.urls")),
    path("billing/", include("billing.urls")),
    path("imports/", include("imports.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
