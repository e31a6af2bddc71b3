from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.upload_detail, name="upload_detail"),
    path("<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path("<int:pk>/discard/", views.upload_discard, name="upload_discard"),
    path("<int:pk>/retry/", views.upload_retry, name="upload_retry"),
    path("<int:pk>/resolve/", views.upload_resolve, name="upload_resolve"),
    path("<int:pk>/problems.csv", views.upload_problems, name="upload_problems"),
    path("<int:pk>/changes.csv", views.upload_changes, name="upload_changes"),
    path("format/", views.workbook_format, name="workbook_format"),
    path("sample/hospital.xlsx", views.sample_workbook, name="sample_workbook"),
]
