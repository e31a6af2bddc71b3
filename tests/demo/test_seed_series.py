"""The demo hospital shows a recurring series (issue 18): booked as the desk does, weekly."""

import datetime

import pytest
from django.utils import timezone

from appointments.models import AppointmentSeries
from demo.generator import seed
from demo.plan import FUTURE_DAYS

pytestmark = pytest.mark.django_db


def test_the_demo_hospital_has_a_series_of_weekday_visits_within_its_fortnight():
    seed(patients=30, doctors=3, days=7, seed=3, stdout=lambda line: None)

    [series] = AppointmentSeries.objects.all()
    occurrences = list(series.occurrences.order_by("series_index"))
    assert series.rule == "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5"
    assert 1 < len(occurrences) <= 5  # a clashing day moves to the time proposed, or is skipped
    assert {o.patient_id for o in occurrences} == {series.patient_id}
    assert {timezone.localtime(o.series_start).weekday() for o in occurrences} <= {0, 1, 2, 3, 4}
    last = timezone.localdate() + datetime.timedelta(days=FUTURE_DAYS)
    assert all(timezone.localdate(o.start) < last for o in occurrences)
