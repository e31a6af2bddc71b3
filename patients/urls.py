from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:pk>/", views.patient_detail, name="patient_detail"),
    path("<int:pk>/edit/", views.patient_update, name="patient_update"),
    path("<int:pk>/deactivate/", views.patient_deactivate, name="patient_deactivate"),
    path("<int:pk>/reactivate/", views.patient_reactivate, name="patient_reactivate"),
]
