"""The account pages of django.contrib.auth: log in and out, change one's password, and reset
a forgotten password by e-mail, which answers 404 unless the hospital has set up outgoing mail
(HMS_EMAIL_HOST): without mail no reset link can arrive, and an open form that promises one
only invites guessing. An administrator sets a new password in the admin instead."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def mail_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def needs_mail(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 unless outgoing mail is set up; otherwise `view` (its login_not_required kept)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not mail_configured():
            raise Http404("Password reset by e-mail is not set up: ask an administrator.")
        return view(request, *args, **kwargs)

    return wrapper


urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        needs_mail(views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        needs_mail(views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        needs_mail(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        needs_mail(views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]
