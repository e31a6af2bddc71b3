"""`Patient/<id>/$everything`: the patient and every resource of theirs the caller's role may
read, made from the registry's patient-compartment types (those that set `for_patient`), in
one query per type however long the record, audited as one row."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from core.models import AuditEvent
from fhir.registry import TYPES
from patients.models import HistoryKind
from tests.factories import AttendanceFactory, MedicalHistoryFactory, PatientFactory
from tests.fhir.clinical_records import make_record
from tests.fhir.conftest import bearer, outcome_of, parsed, token_for, url

COMPARTMENT = [kind for kind in TYPES.values() if kind.for_patient is not None]
CLINICAL = {"Encounter", "Condition", "Procedure", "MedicationStatement", "AllergyIntolerance"}


def test_the_patient_and_doctors_are_not_in_a_patients_compartment():
    assert TYPES["Patient"].for_patient is None
    assert TYPES["Practitioner"].for_patient is None
    assert TYPES["PractitionerRole"].for_patient is None
    assert CLINICAL <= {kind.name for kind in COMPARTMENT}


def test_every_compartment_type_is_audited_as_patient_data():
    """$everything writes the chart's audit row: a type that belongs to a patient names them."""
    assert [kind.name for kind in COMPARTMENT if kind.patient_ids is None] == []


@pytest.fixture
def record(db):
    return make_record()


def everything(api, patient_id, user, **query):
    return api(url("patient_everything", patient_id), user=user, **query)


def ids_by_type(bundle: Bundle) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for entry in bundle.entry or ():
        resource = entry.resource
        found.setdefault(resource.get_resource_type(), []).append(int(resource.id))
        assert entry.fullUrl.endswith(f"/{resource.get_resource_type()}/{resource.id}")
    return {name: sorted(ids) for name, ids in found.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "admin_user"])
def test_a_doctor_gets_the_patient_and_their_whole_clinical_record(request, api, record, role):
    r = record
    bundle = parsed(everything(api, r.patient.pk, request.getfixturevalue(role)), Bundle)

    found = ids_by_type(bundle)
    assert bundle.type == "searchset"
    assert bundle.entry[0].resource.get_resource_type() == "Patient"
    assert found["Patient"] == [r.patient.pk]
    assert found["Encounter"] == [r.visit.pk]
    assert found["Condition"] == sorted([r.condition.pk, r.resolved.pk])
    assert found["Procedure"] == sorted([r.surgery.pk, r.surgery_waived.pk])
    assert found["MedicationStatement"] == sorted(
        [r.medication.pk, r.medication_stopped.pk, r.medication_waived.pk]
    )
    assert found["AllergyIntolerance"] == [r.allergy.pk]
    assert bundle.total == len(bundle.entry)


@pytest.mark.django_db
def test_a_billing_clerk_gets_only_the_billable_medications_and_surgeries(
    api, billing_clerk, record
):
    r = record
    found = ids_by_type(parsed(everything(api, r.patient.pk, billing_clerk), Bundle))

    assert found["Patient"] == [r.patient.pk]
    assert found["Procedure"] == [r.surgery.pk]
    assert found["MedicationStatement"] == sorted([r.medication.pk, r.medication_stopped.pk])
    assert not {"Encounter", "Condition", "AllergyIntolerance"} & set(found)


@pytest.mark.django_db
def test_the_front_desk_gets_the_patient_but_no_clinical_record(api, front_desk, record):
    found = ids_by_type(parsed(everything(api, record.patient.pk, front_desk), Bundle))

    assert found["Patient"] == [record.patient.pk]
    assert not CLINICAL & set(found)


@pytest.mark.django_db
def test_without_demographics_it_is_refused(api, outsider, record):
    response = everything(api, record.patient.pk, outsider)

    assert "may not read patients" in outcome_of(response, 403)
    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.django_db
def test_an_unknown_patient_is_a_404_and_a_malformed_id_a_400(api, doctor):
    assert "no Patient with id 999999" in outcome_of(everything(api, 999999, doctor), 404)
    assert "not a Patient id" in outcome_of(everything(api, "abc", doctor), 400)


@pytest.mark.django_db
def test_it_writes_one_audit_row_naming_the_patient_and_the_types_returned(
    api, doctor, billing_clerk, record
):
    everything(api, record.patient.pk, doctor)
    everything(api, record.patient.pk, billing_clerk)

    by_doctor, by_clerk = AuditEvent.objects.filter(action="view").order_by("pk")
    assert by_doctor.patient_id == record.patient.pk
    assert by_doctor.changes["patients"] == [record.patient.pk]
    assert by_doctor.changes["operation"] == "$everything"
    assert {"Patient", *CLINICAL} <= set(by_doctor.changes["resource_types"])
    assert by_doctor.object_type == "patients.patient"
    assert by_doctor.object_id == str(record.patient.pk)
    assert set(by_clerk.changes["resource_types"]) & CLINICAL == {
        "Procedure",
        "MedicationStatement",
    }


@pytest.mark.django_db
def test_type_narrows_it_and_other_parameters_are_refused(api, client, doctor, record):
    narrowed = parsed(everything(api, record.patient.pk, doctor, _type="Condition"), Bundle)
    wrong = everything(api, record.patient.pk, doctor, _type="Immunization")
    paged = everything(api, record.patient.pk, doctor, start="2020")

    assert set(ids_by_type(narrowed)) == {"Patient", "Condition"}
    assert "'Immunization' is not a type of a patient's record" in outcome_of(wrong, 400)
    assert "takes no parameter 'start'" in outcome_of(paged, 400)
    lenient = client.get(
        url("patient_everything", record.patient.pk),
        {"start": "2020"},
        headers={**bearer(token_for(doctor)), "Prefer": "handling=lenient"},
    )
    assert set(ids_by_type(parsed(lenient, Bundle))) >= {"Patient", *CLINICAL}


@pytest.mark.django_db
def test_the_capability_statement_offers_it_on_patient(client):
    statement = parsed(client.get(url("metadata")), CapabilityStatement)
    patient = next(r for r in statement.rest[0].resource if r.type == "Patient")

    assert [(op.name, op.definition) for op in patient.operation] == [
        ("everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything")
    ]


def _patient_with_visits(count: int):
    patient = PatientFactory()
    for _ in range(count):
        visit = AttendanceFactory(appointment__patient=patient)
        for kind in HistoryKind.values:
            MedicalHistoryFactory(patient=patient, kind=kind, attendance=visit)
    return patient


@pytest.mark.django_db
def test_it_costs_the_same_queries_at_5_and_at_50_visits(api, admin_user):
    small, large = _patient_with_visits(5), _patient_with_visits(50)
    everything(api, small.pk, admin_user)  # the token, made on first use

    counts = []
    for patient, visits in ((small, 5), (large, 50)):
        with CaptureQueriesContext(connection) as queries:
            bundle = parsed(everything(api, patient.pk, admin_user), Bundle)
        kinds = Counter(entry.resource.get_resource_type() for entry in bundle.entry)
        assert kinds["Encounter"] == kinds["Condition"] == kinds["Procedure"] == visits
        counts.append(len(queries))

    assert counts[0] == counts[1]
    # One query per type of the record: the history's four kinds and the visits each one.
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum('FROM "patients_medicalhistory"' in text for text in sql) == 4
    assert sum('FROM "appointments_attendance"' in text for text in sql) == 1
    # Beside them, the request's own (the token, the throttle, the patient, the audit row),
    # and the other types of the record, each one query or two (a prefetch).
    assert counts[1] <= 4 + 2 * len(COMPARTMENT)
