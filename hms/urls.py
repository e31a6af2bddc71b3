from django.contrib import admin
from django.urls import include, path

from hms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
