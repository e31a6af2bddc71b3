from django.urls import path

from patients import views

app_name = "patients"

# The patient's page and deactivation come from appointments.patient_pages (see hms/urls.py).

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:pk>/edit/", views.patient_update, name="patient_update"),
    path("<int:pk>/reactivate/", views.patient_reactivate, name="patient_reactivate"),
]
