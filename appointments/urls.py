from django.urls import path

from appointments import (
    day_list_pages,
    drag_pages,
    queue_pages,
    series_pages,
    series_rule_pages,
    views,
)
from appointments.messaging import views as messaging_views
from appointments.waitlist import views as waitlist_views

app_name = "appointments"

urlpatterns = [
    path("", views.calendar_day, name="calendar_day"),
    path("week/", views.calendar_week, name="calendar_week"),
    path("arrivals/", views.arrivals, name="arrivals"),
    path("day-list/", day_list_pages.day_list, name="day_list"),
    path("day-list.csv", day_list_pages.day_list_csv, name="day_list_csv"),
    path("book/", views.appointment_book, name="appointment_book"),
    path("book/patient/", views.booking_patient, name="booking_patient"),
    path("slots/", views.slot_picker, name="slot_picker"),
    path("book/series-preview/", series_pages.series_preview, name="series_preview"),
    path("move/", drag_pages.appointment_move, name="appointment_move"),
    path("<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("<int:pk>/check-in/", views.appointment_check_in, name="appointment_check_in"),
    path(
        "<int:pk>/undo-check-in/",
        views.appointment_undo_check_in,
        name="appointment_undo_check_in",
    ),
    path("<int:pk>/no-show/", views.appointment_no_show, name="appointment_no_show"),
    path("<int:pk>/token/", queue_pages.queue_ticket, name="queue_ticket"),
    path("queue/<int:pk>/call/", queue_pages.queue_call_next, name="queue_call_next"),
    path("queue/<int:pk>/recall/<int:ticket_pk>/", queue_pages.queue_recall, name="queue_recall"),
    path("<int:pk>/series/", series_pages.series_change, name="series_change"),
    path("<int:pk>/series/rule/", series_rule_pages.series_rule, name="series_rule"),
    path("<int:pk>/messages/resend/", messaging_views.message_resend, name="message_resend"),
    path("waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("waitlist/new/", waitlist_views.waitlist_add, name="waitlist_add"),
    path("waitlist/<int:pk>/edit/", waitlist_views.waitlist_edit, name="waitlist_edit"),
    path("waitlist/<int:pk>/remove/", waitlist_views.waitlist_remove, name="waitlist_remove"),
    path("waitlist/offers/<int:pk>/book/", waitlist_views.offer_book, name="offer_book"),
    path("waitlist/offers/<int:pk>/pass/", waitlist_views.offer_pass, name="offer_pass"),
]
