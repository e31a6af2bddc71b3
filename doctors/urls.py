from django.urls import path

from doctors import views

app_name = "doctors"

urlpatterns = [
    path("hours/", views.schedule_list, name="schedule_list"),
    path("<int:pk>/schedule/", views.doctor_schedule, name="doctor_schedule"),
    path("<int:pk>/hours/new/", views.working_hours_create, name="working_hours_create"),
    path("hours/<int:pk>/edit/", views.working_hours_edit, name="working_hours_edit"),
    path("hours/<int:pk>/delete/", views.working_hours_delete, name="working_hours_delete"),
    path("<int:pk>/time-off/new/", views.time_off_create, name="time_off_create"),
    path("time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
]
