from django.contrib import admin
from django.urls import include, path

from appointments import patient_urls as appointment_patient_urls
from hms import views
from patients import urls as patient_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The waiting-room display: the one page without a login (tokens and rooms, no names).
    path("waiting-room/", include("appointments.waiting_room_urls")),
    path("accounts/", include("hms.auth_urls")),
    path("accounts/two-step/", include("accounts.urls")),
    path("accounts/two-step/passkeys/", include("accounts.passkey_urls")),
    path("accounts/api-tokens/", include("fhir.token_urls")),
    # The patient pages come from two layers: patients (search, register, edit) and
    # appointments (the patient's page with their appointments); one namespace serves both.
    path(
        "patients/",
        include(([*patient_urls.urlpatterns, *appointment_patient_urls.urlpatterns], "patients")),
    ),
    path("doctors/", include("appointments.schedule_urls")),
    path("appointments/", include("appointments.urls")),
    path("clinical/", include("clinical.urls")),
    path("billing/", include("billing.urls")),
    path("imports/", include("imports.urls")),
    path("reports/", include("reports.urls")),
    path("fhir/", include("fhir.urls")),  # the FHIR R4 API at /fhir/R4/
    path("admin/", admin.site.urls),
]
