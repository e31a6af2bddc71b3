from django.urls import path

from appointments import schedule_pages as views

# Doctors' hours and time off. The pages show the appointments a change leaves outside the
# hours, so they live in the appointments app; the names stay in the `doctors` namespace.
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
