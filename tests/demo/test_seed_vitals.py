"""The demo hospital's vital signs: a reading at most visits that took place, plausible (the
database's checks held), a few patients with trends the chart shows flagged, the same from the
same seed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min

from appointments.models import Attendance
from clinical.vitals import BY_FIELD
from clinical.vitals_models import VitalsReading
from patients.models import Patient

pytestmark = pytest.mark.django_db

SMALL = {"patients": 300, "doctors": 5, "days": 20, "seed": 7}


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    return _seed()


def _readings(first_mrn: int) -> list[tuple]:
    """One hospital's readings by the patient's place in it and the time taken."""
    rows = VitalsReading.objects.filter(
        attendance__patient__mrn__gte=f"P{first_mrn:07d}",
        attendance__patient__mrn__lte=f"P{first_mrn + SMALL['patients'] - 1:07d}",
    ).values_list(
        "attendance__patient__mrn",
        "systolic",
        "diastolic",
        "pulse",
        "temperature",
        "spo2",
        "weight",
        "height",
        "bmi",
    )
    return sorted((int(mrn[1:]) - first_mrn, *rest) for mrn, *rest in rows)


def test_most_visits_that_took_place_have_a_reading(seeded):
    visits = Attendance.objects.filter(started_at__isnull=False).count()
    readings = VitalsReading.objects.count()
    assert "vital-signs readings" in seeded
    assert 0.7 * visits <= readings <= visits
    assert not VitalsReading.objects.exclude(attendance__started_at__isnull=False).exists()
    assert not VitalsReading.objects.filter(diastolic__gte=F("systolic")).exists()
    assert VitalsReading.objects.filter(bmi__isnull=False).exists()


def test_some_readings_are_flagged_and_a_few_patients_show_a_trend(seeded):
    high_bp = BY_FIELD["systolic"].normal[1]
    assert VitalsReading.objects.filter(systolic__gt=high_bp).exists()
    assert VitalsReading.objects.filter(temperature__gte=38).exists()
    assert VitalsReading.objects.filter(spo2__lt=95).exists()
    # A patient whose blood pressure climbs: the last reading well above the first.
    climbing = (
        Patient.objects.annotate(
            n=Count("attendances__vitals_readings"),
            low=Min("attendances__vitals_readings__systolic"),
            high=Max("attendances__vitals_readings__systolic"),
        )
        .filter(n__gte=4, high__gte=F("low") + 10, high__gt=high_bp)
        .exists()
    )
    assert climbing


def test_the_same_seed_gives_the_same_readings(seeded):
    first = _readings(1)
    _seed(force=True)
    assert _readings(301) == first and first
