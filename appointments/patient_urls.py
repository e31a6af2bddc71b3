"""The patient pages that show appointments, served under the `patients` namespace."""

from django.urls import path

from appointments import patient_pages

urlpatterns = [
    path("<int:pk>/", patient_pages.patient_detail, name="patient_detail"),
    path("<int:pk>/deactivate/", patient_pages.patient_deactivate, name="patient_deactivate"),
]
