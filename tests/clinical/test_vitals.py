"""Vital signs of a visit: each plausible-range bound and blood-pressure rule says what to fix,
the database holds the same rules against the application's own login, readings outside the
adult normal range are flagged, and recording goes through the one service with its audit row."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinical import vitals
from clinical.vitals_models import VitalObservation, VitalsReading
from clinical.vitals_services import vitals_record
from core.models import AuditEvent
from hms.dbroles import app_role
from tests.clinical.test_visit_keeps_typing import EMPTY_PAGE, field_value

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

# (field, lowest accepted, highest accepted, just below, just above, the unit as written)
BOUNDS = [
    ("systolic", 50, 300, 49, 301, "mmHg"),
    ("diastolic", 20, 200, 19, 201, "mmHg"),
    ("pulse", 20, 250, 0, 251, "/min"),
    ("temperature", Decimal("25"), Decimal("45"), Decimal("24.9"), Decimal("300"), "°C"),
    ("respiratory_rate", 4, 80, 3, 81, "/min"),
    ("spo2", 50, 100, 49, 101, "%"),
    ("weight", Decimal("0.3"), Decimal("500"), Decimal("0.2"), Decimal("500.1"), "kg"),
    ("height", Decimal("20"), Decimal("260"), Decimal("19.9"), Decimal("260.1"), "cm"),
]


def alone(field, value) -> dict:
    """`value` for `field`; a blood pressure gets a plausible partner."""
    if field == "systolic":
        return {"systolic": value, "diastolic": 30}
    if field == "diastolic":
        return {"systolic": 290 if value > 100 else 120, "diastolic": value}
    return {field: value}


def accepted(field, value) -> dict:
    """`value` for `field`; a blood pressure gets a partner that makes a valid pair."""
    if field == "systolic":
        return {"systolic": value, "diastolic": 20}
    if field == "diastolic":
        return {"systolic": max(value + 1, 50), "diastolic": value}
    return {field: value}


def errors_of(values) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        vitals.check(values)
    return caught.value.message_dict


@pytest.mark.parametrize(("field", "low", "high", "below", "above", "unit"), BOUNDS)
def test_each_bound_is_accepted_and_the_next_value_out_is_refused_saying_what_to_fix(
    field, low, high, below, above, unit
):
    vital = vitals.BY_FIELD[field]
    for value in (low, high):
        vitals.check(accepted(field, value))  # raises nothing
    for value in (below, above):
        message = errors_of(alone(field, value))[field]
        assert message == [
            f"{vital.label} {value} {unit} is not plausible: enter between {low} and {high} {unit}."
        ]


def test_the_examples_of_the_issue_read_as_a_person_would_fix_them():
    assert errors_of({"temperature": Decimal("300")})["temperature"] == [
        "Temperature 300 °C is not plausible: enter between 25 and 45 °C."
    ]
    assert errors_of({"pulse": 0})["pulse"] == [
        "Pulse 0 /min is not plausible: enter between 20 and 250 /min."
    ]


def test_the_blood_pressure_comes_in_pairs_with_the_diastolic_below_the_systolic():
    assert errors_of({"systolic": 80, "diastolic": 120})["diastolic"] == [
        "Diastolic pressure 120 mmHg must be lower than systolic 80 mmHg: check they are not "
        "swapped."
    ]
    assert "diastolic" in errors_of({"systolic": 120, "diastolic": 120})
    assert errors_of({"systolic": 120})["diastolic"] == [vitals.BP_PAIR]
    assert errors_of({"diastolic": 80})["systolic"] == [vitals.BP_PAIR]
    assert errors_of({})["__all__"] == [vitals.NOTHING_ENTERED]


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("systolic", 89, "low"),
        ("systolic", 90, ""),
        ("systolic", 139, ""),
        ("systolic", 140, "high"),
        ("diastolic", 90, "high"),
        ("pulse", 59, "low"),
        ("pulse", 101, "high"),
        ("temperature", Decimal("37.9"), ""),
        ("temperature", Decimal("38.0"), "high"),
        ("temperature", Decimal("35.9"), "low"),
        ("respiratory_rate", 21, "high"),
        ("spo2", 94, "low"),
        ("spo2", 100, ""),
        ("bmi", Decimal("18.4"), "low"),
        ("bmi", Decimal("25.0"), "high"),
        ("weight", Decimal("150"), ""),  # no normal range of its own
    ],
)
def test_readings_outside_the_adult_normal_range_are_flagged(field, value, flag):
    assert vitals.BY_FIELD[field].flag(value) == flag


# --- the database holds the rules ------------------------------------------------------------


def raw_insert(attendance, **values) -> None:
    columns = ["attendance_id", "taken_at", "created_at", "updated_at", *values]
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO clinical_vitalsreading ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [attendance.pk, now, now, now, *values.values()],
        )


def test_the_suite_talks_to_the_database_as_the_applications_login():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role(connection)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"temperature": 300}, "clinical_vitalsreading_temperature_plausible"),
        ({"pulse": 0}, "clinical_vitalsreading_pulse_plausible"),
        ({"spo2": 101}, "clinical_vitalsreading_spo2_plausible"),
        ({"systolic": 80, "diastolic": 120}, "clinical_vitalsreading_diastolic_below_systolic"),
        ({"systolic": 120}, "clinical_vitalsreading_blood_pressure_pair"),
        ({}, "clinical_vitalsreading_something_measured"),
    ],
)
def test_the_database_refuses_a_raw_insert_breaking_a_rule(visit, values, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        raw_insert(visit, **values)
    assert not VitalsReading.objects.exists()


def test_the_database_works_out_the_bmi_and_unfolds_a_reading_per_vital(visit):
    raw_insert(visit, systolic=150, diastolic=95, weight=Decimal("70.0"), height=Decimal("175"))
    reading = VitalsReading.objects.get()

    assert reading.bmi == Decimal("22.9")  # 70 / 1.75²
    rows = {o.kind: o for o in VitalObservation.objects.filter(reading=reading)}
    assert sorted(rows) == ["blood_pressure", "bmi", "height", "weight"]
    assert (rows["blood_pressure"].value, rows["blood_pressure"].value2) == (150, 95)
    assert rows["bmi"].id == reading.pk * 10 + 8
    assert rows["bmi"].patient_id == visit.patient_id


# --- the service -------------------------------------------------------------------------------


def test_it_records_a_reading_with_its_audit_row(doctor, visit):
    reading = vitals_record(
        attendance=visit, by=doctor, systolic=152, diastolic=96, temperature=Decimal("38.4")
    )

    assert (reading.systolic, reading.diastolic, reading.temperature) == (152, 96, Decimal("38.4"))
    assert reading.recorded_by == doctor
    event = AuditEvent.objects.get(object_type="clinical.vitalsreading", action="create")
    assert event.patient_id == visit.patient_id
    assert event.changes["temperature"] == {"before": None, "after": "38.4"}
    assert event.changes["systolic"] == {"before": None, "after": 152}


def test_only_the_visits_doctor_records_and_only_while_it_is_open(other_doctor, doctor, visit):
    with pytest.raises(PermissionDenied):
        vitals_record(attendance=visit, by=other_doctor, pulse=70)
    visit.completed_at = timezone.now()
    visit.save()
    with pytest.raises(ValidationError, match="completed"):
        vitals_record(attendance=visit, by=doctor, pulse=70)
    assert not VitalsReading.objects.exists()


# --- the visit page ------------------------------------------------------------------------------


def vitals_url(visit) -> str:
    return reverse("clinical:vitals_add", args=[visit.pk])


def page(**typed) -> dict:
    return {**EMPTY_PAGE, **{f"vit-{f}": "" for f in vitals.ENTERED_FIELDS}, **typed}


def test_recording_answers_the_section_with_the_reading_flagged(login, doctor, visit):
    response = login(doctor).post(
        vitals_url(visit),
        page(**{"vit-systolic": "152", "vit-diastolic": "96", "vit-pulse": "72"}),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="vitals"')
    assert "152/96" in html and 'data-flag="high"' in html and ">High</span>" in html
    assert (
        "Recorded: Systolic pressure 152 mmHg; Diastolic pressure 96 mmHg; Pulse 72 /min."
    ) in html
    assert field_value(html, "vit-systolic") == ""  # the fields are empty for the next one
    assert VitalsReading.objects.filter(attendance=visit).count() == 1


def test_a_300_degree_temperature_says_what_to_fix_and_keeps_everything_typed(login, doctor, visit):
    response = login(doctor).post(
        vitals_url(visit),
        page(**{"vit-temperature": "300", "vit-pulse": "88", "notes": "Feels hot"}),
    )

    html = response.content.decode()
    assert "Temperature 300 °C is not plausible: enter between 25 and 45 °C." in html
    assert field_value(html, "vit-temperature") == "300"
    assert field_value(html, "vit-pulse") == "88"
    assert field_value(html, "notes") == "Feels hot"  # the whole page, as typed
    assert not VitalsReading.objects.exists()


def test_words_where_a_number_goes_are_kept_with_a_message(login, doctor, visit):
    html = (
        login(doctor)
        .post(vitals_url(visit), page(**{"vit-pulse": "seventy"}), **HTMX)
        .content.decode()
    )
    assert "Enter the pulse as a whole number, e.g. 72." in html
    assert field_value(html, "vit-pulse") == "seventy"


def test_the_visit_does_not_complete_while_vitals_are_typed_and_not_recorded(login, doctor, visit):
    response = login(doctor).post(
        reverse("clinical:visit_complete", args=[visit.pk]), page(**{"vit-pulse": "80"})
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Not recorded yet: press “Record vital signs”" in html
    assert field_value(html, "vit-pulse") == "80"
    visit.refresh_from_db()
    assert visit.completed_at is None


def test_saving_the_notes_keeps_vitals_typed_and_not_recorded(login, doctor, visit):
    response = login(doctor).post(
        reverse("clinical:visit_record", args=[visit.pk]),
        page(notes="Rested 5 minutes", **{"vit-systolic": "150", "vit-diastolic": "90"}),
    )

    html = response.content.decode()
    assert response.status_code == 200  # not a redirect: the page keeps the typing
    assert field_value(html, "vit-systolic") == "150"
    assert field_value(html, "vit-diastolic") == "90"
    visit.refresh_from_db()
    assert visit.notes == "Rested 5 minutes"
    assert not VitalsReading.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "billing_clerk", "other_doctor"])
def test_only_the_visits_doctor_may_record(request, login, visit, role):
    user = request.getfixturevalue(role)
    response = login(user).post(vitals_url(visit), page(**{"vit-pulse": "80"}), **HTMX)
    assert response.status_code == 403
    assert not VitalsReading.objects.exists()


def test_a_completed_visit_shows_its_readings_read_only(login, doctor, visit):
    vitals_record(attendance=visit, by=doctor, spo2=91, taken_at=timezone.now())
    visit.completed_at = timezone.now() + datetime.timedelta(minutes=1)
    visit.save()

    html = login(doctor).get(reverse("clinical:visit_record", args=[visit.pk])).content.decode()
    assert 'data-testid="vitals-readings"' in html and ">Low</span>" in html
    assert 'name="vit-spo2"' not in html
