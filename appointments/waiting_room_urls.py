"""The waiting-room display at /waiting-room/: the one page without a login
(appointments.queue_pages). Every queue, or one doctor's by code."""

from django.urls import path

from appointments import queue_pages

app_name = "waiting_room"

urlpatterns = [
    path("", queue_pages.waiting_room, name="display"),
    path("board/", queue_pages.waiting_room_board, name="board"),
    path("<str:code>/", queue_pages.waiting_room, name="display"),
    path("<str:code>/board/", queue_pages.waiting_room_board, name="board"),
]
