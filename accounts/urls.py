from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.two_step, name="two_step"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("recovery-codes/new/", views.recovery_codes_new, name="recovery_codes_new"),
    path("turn-off/", views.turn_off, name="turn_off"),
    path("passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/reset/", views.staff_reset, name="staff_reset"),
]
