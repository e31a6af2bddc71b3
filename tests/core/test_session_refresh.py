"""The idle timeout holds without a session write on every page: at most one a minute."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import session_refresh

pytestmark = pytest.mark.django_db


def session_writes(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_pages_write_the_session_once_a_minute_and_keep_the_idle_timeout(
    client, front_desk, monkeypatch
):
    clock = [1_000_000.0]
    monkeypatch.setattr(session_refresh.time, "time", lambda: clock[0])
    client.force_login(front_desk)
    url = reverse("patients:patient_list")

    first = session_writes(client, url)
    expiry = Session.objects.get().expire_date
    clock[0] += 30
    assert (first, session_writes(client, url)) == (1, 0)  # within the minute: no write
    assert Session.objects.get().expire_date == expiry

    clock[0] += 31
    assert session_writes(client, url) == 1  # a minute on: written, the clock restarts
    assert Session.objects.get().expire_date > expiry


def test_an_idle_session_still_ends_after_thirty_minutes(client, front_desk, settings):
    client.force_login(front_desk)
    session = Session.objects.get()
    assert settings.SESSION_COOKIE_AGE == 1800

    # Thirty-one minutes without a request: the session's expiry has passed.
    Session.objects.update(expire_date=session.expire_date - datetime.timedelta(minutes=31))
    response = client.get(reverse("patients:patient_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
