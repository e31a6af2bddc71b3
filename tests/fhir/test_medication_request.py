"""MedicationRequest (a prescription line) and the structured AllergyIntolerance, as a client
reads them: every answer parsed back with fhir.resources' R4B models."""

import datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationrequest import MedicationRequest

from core.models import AuditEvent
from fhir.mappings.clinical import price_list_system
from tests.factories import AttendanceFactory, MedicalHistoryFactory, MedicationCostFactory
from tests.fhir.conftest import entries, outcome_of, parsed, url
from tests.fhir.medication_request_records import prescribed

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(db):
    return AttendanceFactory()


def read(api, pk, user, model=MedicationRequest):
    return parsed(api(url(f"{model.__name__.lower()}_read", pk), user=user), model)


def test_a_line_is_an_order_with_its_dose_quantity_number_and_doctor(api, doctor, visit):
    listed = MedicationCostFactory(name="Amoxicillin 500 mg capsules")
    line = prescribed(
        visit,
        listed.name,
        medication=listed,
        instructions="After meals",
        allergy_alert="Penicillin (Hives; Severe)",
        override_reason="Tolerated in 2024",
    )
    found = read(api, line.pk, doctor)

    assert (found.status, found.intent) == ("active", "order")
    assert found.medicationCodeableConcept.text == "Amoxicillin 500 mg capsules"
    (coding,) = found.medicationCodeableConcept.coding
    assert (coding.system, coding.code) == (price_list_system("medications"), str(listed.pk))
    assert found.subject.reference == f"Patient/{visit.patient_id}"
    assert found.encounter.reference == f"Encounter/{visit.pk}"
    assert found.requester.reference == f"Practitioner/{visit.appointment.doctor_id}"
    assert found.groupIdentifier.value == line.prescription.label
    (dosage,) = found.dosageInstruction
    assert dosage.text == "500 mg by mouth, three times a day, for 7 days. After meals"
    assert dosage.doseAndRate[0].doseQuantity.value == Decimal("500")
    assert dosage.route.text == "By mouth"
    assert found.dispenseRequest.quantity.value == 21
    assert found.dispenseRequest.expectedSupplyDuration.code == "d"
    assert found.note[0].text == (
        "Prescribed despite a recorded allergy (Penicillin (Hives; Severe)). "
        "Reason: Tolerated in 2024"
    )
    assert AuditEvent.objects.filter(action="view", patient_id=visit.patient_id).exists()


def test_a_course_past_its_days_is_completed_and_an_unpriced_drug_has_no_coding(api, doctor, visit):
    line = prescribed(visit, "Salbutamol inhaler", on=datetime.date(2024, 1, 1))
    found = read(api, line.pk, doctor)
    assert found.status == "completed"
    assert found.medicationCodeableConcept.coding is None
    assert found.note is None


def test_search_by_patient_encounter_and_day_written(api, doctor, visit):
    wanted = prescribed(visit, "Amoxicillin", on=datetime.date(2024, 3, 6))
    other = prescribed(AttendanceFactory(), "Ibuprofen", on=datetime.date(2020, 1, 11))

    def ids(**query):
        bundle = parsed(api(url("medicationrequest_search"), user=doctor, **query), Bundle)
        return [int(r.id) for r in entries(bundle)]

    assert ids(patient=f"Patient/{visit.patient_id}") == [wanted.pk]
    assert ids(encounter=str(other.prescription.attendance_id)) == [other.pk]
    assert ids(authoredon="2024-03-06") == [wanted.pk]
    assert ids(authoredon="lt2024") == [other.pk]


@pytest.mark.parametrize("role", ["front_desk", "billing_clerk"])
def test_the_desk_and_billing_clerks_are_refused_prescriptions(api, request, visit, role):
    user = request.getfixturevalue(role)
    line = prescribed(visit, "Amoxicillin")
    assert "for doctors and administrators" in outcome_of(
        api(url("medicationrequest_read", line.pk), user=user), 403
    )
    outcome_of(api(url("medicationrequest_search"), user=user), 403)


def test_a_structured_allergy_has_its_reaction_criticality_and_class(api, doctor, visit):
    allergy = MedicalHistoryFactory(
        kind="allergy",
        description="Penicillin",
        reaction="Anaphylaxis",
        severity="life_threatening",
        drug_class="penicillins",
    )
    free_text = MedicalHistoryFactory(kind="allergy", description="Cats")

    found = read(api, allergy.pk, doctor, AllergyIntolerance)
    plain = read(api, free_text.pk, doctor, AllergyIntolerance)

    assert found.code.text == "Penicillin"
    assert found.criticality == "high"
    assert found.category == ["medication"]
    (reaction,) = found.reaction
    assert [m.text for m in reaction.manifestation] == ["Anaphylaxis"]
    assert reaction.severity == "severe"
    assert found.note[0].text == "Drug class: Penicillins"
    assert (plain.code.text, plain.criticality, plain.reaction, plain.category) == (
        "Cats",
        None,
        None,
        None,
    )
