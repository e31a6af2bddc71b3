"""The chart's vital signs: the latest of each in the summary, a trend chart per vital (its last
20 readings, the normal band shaded, readings outside it marked) with the same figures as a
table, all at a fixed number of queries whatever the number of readings."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinical.vitals_models import VitalsReading
from clinical.vitals_selectors import TREND_READINGS, patient_trends
from tests.clinical.factories import checked_in_visit

pytestmark = pytest.mark.django_db


def readings(doctor, patient, count: int, *, visits: int = 5, **values) -> list[VitalsReading]:
    """`count` readings spread over `visits` visits, a day apart, oldest first; the pulse
    climbs 60, 61, 62 … so each reading is told apart."""
    start = timezone.now() - datetime.timedelta(days=count)
    attendances = [
        checked_in_visit(
            doctor=doctor.doctor, patient=patient, start=start + datetime.timedelta(days=i)
        )
        for i in range(visits)
    ]
    return VitalsReading.objects.bulk_create(
        VitalsReading(
            attendance=attendances[i % visits],
            taken_at=start + datetime.timedelta(days=i, hours=1),
            pulse=60 + i,
            **values,
        )
        for i in range(count)
    )


def chart(client, patient) -> str:
    response = client.get(reverse("clinical:chart", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def svg(html: str, kind: str) -> str:
    found = re.search(rf'<svg [^>]*data-chart="vitals-{kind}".*?</svg>', html, re.S)
    assert found, f"no {kind} chart"
    return found.group(0)


def test_the_trend_shows_the_last_20_readings_oldest_first(doctor, patient):
    readings(doctor, patient, 30)

    (pulse,) = patient_trends(patient=patient)
    assert [p.values[0].value for p in pulse.points] == list(range(70, 90))
    assert TREND_READINGS == 20


def test_the_chart_draws_each_point_with_axis_labels_and_the_normal_band(login, doctor, patient):
    readings(doctor, patient, 6, systolic=150, diastolic=85, temperature=Decimal("36.8"))

    html = chart(login(doctor), patient)
    pressure = svg(html, "blood_pressure")
    assert pressure.count("<circle") == 6 and pressure.count("<rect x=") >= 6  # two series
    assert 'role="img"' in pressure and "Blood pressure trend</title>" in pressure
    assert ">mmHg</text>" in pressure  # the y axis's unit
    assert "Date taken (6 readings, evenly spaced)" in pressure
    assert "Normal systolic pressure: 90–139 mmHg" in pressure  # the shaded band's tooltip
    assert pressure.count(">H</text>") == 6  # 150 systolic: every point marked high
    temperature = svg(html, "temperature")
    assert ">H</text>" not in temperature and ">L</text>" not in temperature
    pulse = svg(html, "pulse")
    assert pulse.count(">L</text>") == 0 and pulse.count("<circle") == 6


def test_the_summary_has_the_latest_of_each_and_the_table_the_same_figures(login, doctor, patient):
    readings(doctor, patient, 3, spo2=93, weight=Decimal("80.0"), height=Decimal("160.0"))

    html = chart(login(doctor), patient)
    latest = re.search(r'data-testid="vitals-latest".*?</dl>', html, re.S).group(0)
    assert "62</span> /min" in latest  # the last pulse
    assert "93</span> %" in latest and ">Low</span>" in latest  # SpO₂ 93: low
    assert "31.3</span> kg/m²" in latest and ">High</span>" in latest  # BMI 80 / 1.6²
    table = re.search(r'data-testid="vitals-table".*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 4  # the header and three readings
    assert table.index(">62") < table.index(">60")  # newest first


def test_a_chart_without_readings_says_so(login, doctor, patient):
    assert "No vital signs recorded yet." in chart(login(doctor), patient)


@pytest.mark.parametrize("count", [5, 100])
def test_the_trends_cost_one_query_whatever_the_number_of_readings(
    doctor, patient, count, django_assert_num_queries
):
    readings(doctor, patient, count, systolic=120, diastolic=80, temperature=Decimal("37.0"))
    with django_assert_num_queries(1):
        trends = patient_trends(patient=patient)
    assert [len(t.points) for t in trends] == [min(count, 20)] * 3


def test_the_chart_page_costs_the_same_queries_at_5_and_100_readings(login, doctor, patient):
    """The same page with 5 readings, then with 100: not one query more."""
    client = login(doctor)
    chart(client, patient)  # warm the session and the user's groups
    counts = []
    for count in (5, 95):
        readings(doctor, patient, count, systolic=120, diastolic=80)
        with CaptureQueriesContext(connection) as queries:
            html = chart(client, patient)
        counts.append(len(queries))
        assert svg(html, "pulse").count("<circle") == min(VitalsReading.objects.count(), 20)
    assert counts[0] == counts[1]
