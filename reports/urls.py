from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    # Before the reports' slugs: suggestions for the doctor filter, as the person types.
    path("doctor-options/", views.doctor_options, name="doctor_options"),
    path("<slug:name>/", views.report_detail, name="report_detail"),
    path("<slug:name>/csv/", views.report_csv, name="report_csv"),
]
