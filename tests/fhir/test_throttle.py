"""Requests per minute per token (settings.HMS_FHIR_RATE): past it, 429 with Retry-After.
The count is a row in PostgreSQL, so every web process counts against the same number."""

import threading

import pytest
from django.db import connection
from django.test import override_settings

from fhir.errors import Throttled
from fhir.models import RateWindow
from fhir.throttle import throttle
from tests.fhir.conftest import bearer, outcome_of, token_for, url

pytestmark = pytest.mark.django_db


@override_settings(HMS_FHIR_RATE=3)
def test_it_answers_429_with_retry_after_past_the_rate(client, front_desk):
    secret, other = token_for(front_desk), token_for(front_desk)

    answers = [client.get(url("patient_search"), headers=bearer(secret)) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "at most 3 a minute" in outcome_of(answers[-1], 429)
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    # Per token: another token of the same user still has its own minute.
    assert client.get(url("patient_search"), headers=bearer(other)).status_code == 200


@override_settings(HMS_FHIR_RATE=2)
def test_a_browser_session_is_counted_per_user(login, front_desk):
    client = login(front_desk)

    codes = [client.get(url("patient_search")).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_a_new_minute_starts_the_count_again(front_desk):
    throttle("token:1")
    RateWindow.objects.filter(bucket="token:1").update(
        window_start="2000-01-01T00:00Z", hits=10_000
    )

    throttle("token:1")  # no Throttled: the old minute's count is gone

    assert RateWindow.objects.get(bucket="token:1").hits == 1


@pytest.mark.django_db(transaction=True)
@override_settings(HMS_FHIR_RATE=20)
def test_separate_connections_count_against_one_number():
    """Each thread has its own database connection, as each gunicorn worker has: 30 requests
    over three of them let exactly 20 through."""
    refused = []

    def worker():
        try:
            for _ in range(10):
                try:
                    throttle("token:shared")
                except Throttled:
                    refused.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(refused) == 10
    assert RateWindow.objects.get(bucket="token:shared").hits == 30
