"""Encounter, Condition, Procedure, MedicationStatement and AllergyIntolerance: what a client
reads of a patient's visits and history, and what each search parameter finds. Every answer
is parsed back with fhir.resources' R4B models."""

import datetime

import pytest
from django.utils import timezone
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.procedure import Procedure

from appointments.models import AppointmentStatus
from fhir.mappings import encounter as encounter_mapping
from fhir.mappings.clinical import price_list_system
from tests.factories import AttendanceFactory
from tests.fhir.clinical_records import make_record
from tests.fhir.conftest import entries, outcome_of, parsed, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(db):
    return make_record()


def read(api, type_name, pk, model, user):
    return parsed(api(url(f"{type_name.lower()}_read", pk), user=user), model)


def found(api, type_name, user, **query) -> list[int]:
    bundle = parsed(api(url(f"{type_name.lower()}_search"), user=user, _count="100", **query))
    assert isinstance(bundle, Bundle)
    return sorted(int(r.id) for r in entries(bundle))


# --- mapping ----------------------------------------------------------------------------------


def test_a_visit_is_a_finished_ambulatory_encounter_with_its_doctor_and_words(api, doctor, record):
    visit = record.visit
    found_ = read(api, "Encounter", visit.pk, Encounter, doctor)

    assert found_.status == "finished"
    assert (found_.class_fhir.code, found_.class_fhir.system) == (
        "AMB",
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    )
    assert found_.subject.reference == f"Patient/{record.patient.pk}"
    (participant,) = found_.participant
    assert participant.individual.reference == f"Practitioner/{visit.appointment.doctor_id}"
    assert participant.individual.display == str(visit.appointment.doctor)
    assert found_.appointment[0].reference == f"Appointment/{visit.appointment_id}"
    assert found_.period.start == timezone.localtime(visit.checked_in_at)
    assert found_.period.end == timezone.localtime(visit.completed_at)
    assert [r.text for r in found_.reasonCode] == ["Chest pain on stairs"]
    assert [d.condition.display for d in found_.diagnosis] == ["Stable angina"]
    # The visit's notes are not sent: Encounter has no place for them.
    assert "Refer to cardiology" not in found_.model_dump_json()


def test_a_visit_in_progress_and_one_waiting_say_so(api, doctor, record):
    appointment = record.visit.appointment
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.save()
    record.visit.completed_at = None
    record.visit.save()

    in_visit = read(api, "Encounter", record.visit.pk, Encounter, doctor)
    record.visit.started_at = None
    record.visit.save()
    waiting = read(api, "Encounter", record.visit.pk, Encounter, doctor)

    assert in_visit.status == "in-progress" and in_visit.period.end is None
    assert waiting.status == "arrived"


def test_conditions_are_active_until_resolved(api, doctor, record):
    active = read(api, "Condition", record.condition.pk, Condition, doctor)
    resolved = read(api, "Condition", record.resolved.pk, Condition, doctor)

    assert active.code.text == "Angina"
    assert active.clinicalStatus.coding[0].code == "active"
    assert active.abatementDateTime is None
    assert active.encounter.reference == f"Encounter/{record.visit.pk}"
    assert active.category[0].coding[0].code == "encounter-diagnosis"
    assert active.subject.reference == f"Patient/{record.patient.pk}"
    assert str(active.recordedDate) == "2024-03-05"
    assert resolved.clinicalStatus.coding[0].code == "resolved"
    assert str(resolved.abatementDateTime) == "2020-02-01"
    assert resolved.encounter is None
    assert resolved.category[0].coding[0].code == "problem-list-item"


def test_a_surgery_is_a_completed_procedure_with_its_price_list_entry(api, doctor, record):
    surgery = read(api, "Procedure", record.surgery.pk, Procedure, doctor)
    unlisted = read(api, "Procedure", record.surgery_waived.pk, Procedure, doctor)

    assert surgery.status == "completed"
    assert surgery.code.text == "Stent placed"
    (coding,) = surgery.code.coding
    assert (coding.system, coding.code, coding.display) == (
        price_list_system("procedures"),
        str(record.surgery.procedure_id),
        "Coronary stent",
    )
    assert str(surgery.performedDateTime) == "2024-03-05"
    assert surgery.encounter.reference == f"Encounter/{record.visit.pk}"
    assert surgery.subject.reference == f"Patient/{record.patient.pk}"
    assert unlisted.code.text == "Appendectomy" and unlisted.code.coding is None


def test_a_medication_is_active_until_stopped_with_its_quantity(api, doctor, record):
    given = read(api, "MedicationStatement", record.medication.pk, MedicationStatement, doctor)
    stopped = read(
        api, "MedicationStatement", record.medication_stopped.pk, MedicationStatement, doctor
    )

    assert given.status == "active"
    concept = given.medicationCodeableConcept
    assert concept.text == "Aspirin"
    assert [(c.system, c.code, c.display) for c in concept.coding] == [
        (price_list_system("medications"), str(record.medication.medication_id), "Aspirin 75 mg")
    ]
    assert given.dosage[0].text == "Quantity: 3"
    assert given.context.reference == f"Encounter/{record.visit.pk}"
    assert str(given.effectivePeriod.start) == "2024-03-05" and given.effectivePeriod.end is None
    assert stopped.status == "completed"
    assert str(stopped.effectivePeriod.end) == "2020-01-20"
    assert stopped.medicationCodeableConcept.coding is None


def test_an_allergy_is_an_active_allergy_intolerance(api, doctor, record):
    allergy = read(api, "AllergyIntolerance", record.allergy.pk, AllergyIntolerance, doctor)

    assert allergy.code.text == "Penicillin"
    assert allergy.clinicalStatus.coding[0].code == "active"
    assert allergy.patient.reference == f"Patient/{record.patient.pk}"
    assert str(allergy.recordedDate) == "2020-01-10"


def test_an_entry_of_another_kind_is_not_found_as_this_type(api, doctor, record):
    """Ids are the history entries' ids: a medication's id is no Condition."""
    response = api(url("condition_read", record.medication.pk), user=doctor)

    assert f"no Condition with id {record.medication.pk}" in outcome_of(response, 404)


# --- search -----------------------------------------------------------------------------------


def test_each_type_searches_by_patient(api, doctor, record):
    r = record
    patient, other = f"Patient/{r.patient.pk}", str(r.other.pk)

    assert found(api, "Encounter", doctor, patient=patient) == [r.visit.pk]
    assert found(api, "Condition", doctor, patient=patient) == sorted(
        [r.condition.pk, r.resolved.pk]
    )
    assert found(api, "Procedure", doctor, patient=patient) == sorted(
        [r.surgery.pk, r.surgery_waived.pk]
    )
    assert found(api, "MedicationStatement", doctor, patient=other) == [r.other_medication.pk]
    assert found(api, "AllergyIntolerance", doctor, patient=patient) == [r.allergy.pk]
    assert found(api, "AllergyIntolerance", doctor, patient=other) == []
    assert found(api, "Condition", doctor, patient=f"{r.patient.pk},{r.other.pk}") == sorted(
        [r.condition.pk, r.resolved.pk, r.other_condition.pk]
    )


def test_conditions_by_clinical_status_and_recorded_date(api, doctor, record):
    r = record
    patient = str(r.patient.pk)

    assert found(api, "Condition", doctor, patient=patient, **{"clinical-status": "active"}) == [
        r.condition.pk
    ]
    resolved = found(api, "Condition", doctor, **{"clinical-status": "resolved"})
    assert resolved == [r.resolved.pk]
    assert found(api, "Condition", doctor, **{"clinical-status": "remission"}) == []
    by_date = found(api, "Condition", doctor, patient=patient, **{"recorded-date": "ge2024-03"})
    assert by_date == [r.condition.pk]
    response = api(url("condition_search"), user=doctor, **{"clinical-status": "cured"})
    assert "is none of active" in outcome_of(response, 400)


def test_procedures_by_date(api, doctor, record):
    assert found(api, "Procedure", doctor, date="2024-03-05") == [record.surgery.pk]
    assert found(api, "Procedure", doctor, date="lt2021") == [record.surgery_waived.pk]
    assert "not a date" in outcome_of(api(url("procedure_search"), user=doctor, date="x"), 400)


def test_medications_by_status(api, doctor, record):
    r = record
    active = found(api, "MedicationStatement", doctor, patient=str(r.patient.pk), status="active")

    assert active == sorted([r.medication.pk, r.medication_waived.pk])
    assert found(api, "MedicationStatement", doctor, status="completed") == [
        r.medication_stopped.pk
    ]
    assert found(api, "MedicationStatement", doctor, status="on-hold") == []


def test_encounters_by_date_practitioner_and_status(api, doctor, record):
    r = record
    day = timezone.localtime(r.visit.checked_in_at).date()
    doctor_id = r.visit.appointment.doctor_id
    waiting = AttendanceFactory(appointment__status=AppointmentStatus.CHECKED_IN)

    assert found(api, "Encounter", doctor, date=day.isoformat()) == [r.visit.pk]
    assert r.visit.pk not in found(api, "Encounter", doctor, date=f"gt{day.isoformat()}")
    assert found(api, "Encounter", doctor, practitioner=f"Practitioner/{doctor_id}") == sorted(
        [r.visit.pk, r.other_visit.pk]
    )
    assert found(api, "Encounter", doctor, status="arrived") == [waiting.pk]
    assert waiting.pk not in found(api, "Encounter", doctor, status="finished")


def test_each_encounter_status_search_finds_exactly_the_visits_in_that_status(api, doctor):
    """The search's conditions and the resource's status say the same, visit by visit."""
    now = timezone.now()
    for status in AppointmentStatus.values:
        AttendanceFactory(appointment__status=status)
        AttendanceFactory(appointment__status=status, started_at=now)
    bundle = parsed(api(url("encounter_search"), user=doctor, _count="100"), Bundle)
    by_status: dict[str, list[int]] = {}
    for resource in entries(bundle, Encounter):
        by_status.setdefault(resource.status, []).append(int(resource.id))

    assert set(by_status) == {"finished", "cancelled", "in-progress", "arrived", "unknown"}
    for code in encounter_mapping.STATUS_CODES:
        assert found(api, "Encounter", doctor, status=code) == sorted(by_status.get(code, []))


def test_a_malformed_reference_is_a_400(api, doctor):
    response = api(url("encounter_search"), user=doctor, practitioner="Patient/3")

    assert "not a reference to a Practitioner" in outcome_of(response, 400)


def test_the_date_of_a_visit_is_its_day_in_the_hospitals_zone(api, doctor, settings):
    """Arrived at 23:30 UTC on 1 March: in Tokyo that is 2 March."""
    settings.TIME_ZONE = "Asia/Tokyo"
    visit = AttendanceFactory(
        checked_in_at=datetime.datetime(2024, 3, 1, 23, 30, tzinfo=datetime.UTC)
    )

    assert found(api, "Encounter", doctor, date="2024-03-02") == [visit.pk]
    assert found(api, "Encounter", doctor, date="2024-03-01") == []
