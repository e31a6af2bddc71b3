"""The CapabilityStatement lists exactly what the server does, and every search parameter it
advertises works: each narrows a search to the records it names."""

import datetime

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from doctors.models import Doctor
from fhir.registry import TYPES
from patients.models import Patient
from tests.factories import DoctorFactory, PatientFactory, SpecialtyFactory
from tests.fhir.appointment_records import APPOINTMENT_EXAMPLES, appointment_world
from tests.fhir.clinical_records import CLINICAL_EXAMPLES, clinical_world
from tests.fhir.conftest import entries, parsed, url
from tests.fhir.invoice_audit_records import INVOICE_AUDIT_EXAMPLES, invoice_audit_world
from tests.fhir.medication_request_records import (
    MEDICATION_REQUEST_EXAMPLES,
    medication_request_world,
)
from tests.fhir.observation_records import OBSERVATION_EXAMPLES, observation_world
from tests.fhir.schedule_slot_records import SCHEDULE_SLOT_EXAMPLES, schedule_slot_world

pytestmark = pytest.mark.django_db


def statement(client) -> CapabilityStatement:
    return parsed(client.get(url("metadata")), CapabilityStatement)


def test_anyone_reads_the_capability_statement(client):
    """It holds no data, and clients read it before they have a token (FHIR's convention)."""
    found = statement(client)

    assert found.fhirVersion == "4.0.1"
    assert found.format == ["json"]
    assert found.kind == "instance"
    assert found.implementation.url == "http://testserver/fhir/R4"


SERVED = {
    "Patient": [
        ("identifier", "token"),
        ("name", "string"),
        ("birthdate", "date"),
        ("gender", "token"),
    ],
    "Practitioner": [("identifier", "token"), ("name", "string")],
    "PractitionerRole": [("specialty", "token"), ("practitioner", "reference")],
    "Schedule": [("actor", "reference"), ("specialty", "token"), ("active", "token")],
    "Slot": [("schedule", "reference"), ("start", "date"), ("status", "token")],
    "Appointment": [
        ("patient", "reference"),
        ("practitioner", "reference"),
        ("actor", "reference"),
        ("date", "date"),
        ("status", "token"),
    ],
    "Encounter": [
        ("patient", "reference"),
        ("date", "date"),
        ("practitioner", "reference"),
        ("status", "token"),
    ],
    "Condition": [
        ("patient", "reference"),
        ("clinical-status", "token"),
        ("recorded-date", "date"),
        ("code", "token"),
    ],
    "Procedure": [("patient", "reference"), ("date", "date")],
    "MedicationStatement": [("patient", "reference"), ("status", "token")],
    "MedicationRequest": [
        ("patient", "reference"),
        ("encounter", "reference"),
        ("authoredon", "date"),
    ],
    "AllergyIntolerance": [("patient", "reference")],
    "Observation": [
        ("patient", "reference"),
        ("code", "token"),
        ("category", "token"),
        ("date", "date"),
    ],
    "Invoice": [
        ("patient", "reference"),
        ("identifier", "token"),
        ("status", "token"),
        ("date", "date"),
    ],
    "AuditEvent": [
        ("date", "date"),
        ("patient", "reference"),
        ("agent", "token"),
        ("action", "token"),
    ],
}
# Appointments are booked and cancelled through the API; everything else is read only.
WRITTEN = {"Appointment": ["read", "search-type", "create", "update", "patch"]}


def test_it_lists_exactly_the_types_interactions_and_parameters_served(client):
    rest = statement(client).rest[0]

    assert [r.type for r in rest.resource] == list(SERVED)
    for resource in rest.resource:
        expected = WRITTEN.get(resource.type, ["read", "search-type"])
        assert [i.code for i in resource.interaction] == expected, resource.type
        # Each interaction has its URL, named after the type.
        reverse(f"fhir:{resource.type.lower()}_search")
        reverse(f"fhir:{resource.type.lower()}_read", args=[1])
    params = {r.type: [(p.name, p.type) for p in r.searchParam] for r in rest.resource}
    assert params == SERVED
    operations = {r.type: [o.name for o in r.operation or []] for r in rest.resource}
    assert {t: names for t, names in operations.items() if names} == {"Patient": ["everything"]}


@pytest.fixture
def world(db):
    """Two of each, told apart by every parameter: `wanted` matches the example values below,
    `other` none of them."""
    cardiology = SpecialtyFactory(name="Cardiology")
    dermatology = SpecialtyFactory(name="Dermatology")
    world = {
        "Patient": {
            "wanted": PatientFactory(
                mrn="P0000777",
                first_name="Ingrid",
                last_name="Bergström",
                date_of_birth=datetime.date(1971, 7, 1),
                sex="female",
            ),
            "other": PatientFactory(
                mrn="P0000778",
                first_name="Tom",
                last_name="Hardy",
                date_of_birth=datetime.date(1990, 1, 1),
                sex="male",
            ),
        },
        "Practitioner": {
            "wanted": DoctorFactory(code="D0777", last_name="Okoye", specialty=cardiology),
            "other": DoctorFactory(code="D0778", last_name="Lindqvist", specialty=dermatology),
        },
    }
    world |= clinical_world(world["Patient"], world["Practitioner"])
    world |= observation_world(world)
    world |= invoice_audit_world()
    world |= schedule_slot_world()
    world |= appointment_world(world)
    world |= medication_request_world(world)
    # The other worlds' patients (made by their factories, born and named at random) are ones
    # no Patient example finds, whatever the factories drew.
    wanted_and_other = [world["Patient"]["wanted"].pk, world["Patient"]["other"].pk]
    Patient.objects.exclude(pk__in=wanted_and_other).update(
        first_name="Olaf", last_name="Quist", date_of_birth=datetime.date(2000, 1, 1), sex="male"
    )
    # So are their doctors for PractitionerRole's (the factory deals specialties in turn).
    Doctor.objects.filter(specialty=cardiology).exclude(
        pk=world["Practitioner"]["wanted"].pk
    ).update(specialty=SpecialtyFactory(name="General practice"))
    return world


# One example value per advertised parameter: a parameter advertised without one fails.
EXAMPLES = {
    ("Patient", "identifier"): lambda w: "P0000777",
    ("Patient", "name"): lambda w: "bergstrom",
    ("Patient", "birthdate"): lambda w: "le1975",
    ("Patient", "gender"): lambda w: "female",
    ("Practitioner", "identifier"): lambda w: "D0777",
    ("Practitioner", "name"): lambda w: "okoye",
    ("PractitionerRole", "specialty"): lambda w: "cardiology",
    ("PractitionerRole", "practitioner"): lambda w: (
        f"Practitioner/{w['Practitioner']['wanted'].pk}"
    ),
}
EXAMPLES |= CLINICAL_EXAMPLES
EXAMPLES |= OBSERVATION_EXAMPLES
EXAMPLES |= INVOICE_AUDIT_EXAMPLES
EXAMPLES |= SCHEDULE_SLOT_EXAMPLES
EXAMPLES |= APPOINTMENT_EXAMPLES
EXAMPLES |= MEDICATION_REQUEST_EXAMPLES
RECORDS = {"Patient": "Patient", "Practitioner": "Practitioner", "PractitionerRole": "Practitioner"}
RECORDS |= {type_name: type_name for type_name, _ in CLINICAL_EXAMPLES}
RECORDS |= {type_name: type_name for type_name, _ in OBSERVATION_EXAMPLES}
RECORDS |= {type_name: type_name for type_name, _ in INVOICE_AUDIT_EXAMPLES}
RECORDS |= {type_name: type_name for type_name, _ in SCHEDULE_SLOT_EXAMPLES}
RECORDS |= {type_name: type_name for type_name, _ in APPOINTMENT_EXAMPLES}
RECORDS |= {type_name: type_name for type_name, _ in MEDICATION_REQUEST_EXAMPLES}


def advertised(client):
    return [(r.type, p.name) for r in statement(client).rest[0].resource for p in r.searchParam]


def test_every_advertised_parameter_has_an_example_here(client):
    assert sorted(advertised(client)) == sorted(EXAMPLES)


def test_every_advertised_search_parameter_works(client, api, world):
    for type_name, param in advertised(client):
        value = EXAMPLES[type_name, param](world)
        bundle = parsed(api(url(f"{type_name.lower()}_search"), **{param: value}), Bundle)

        records = world[RECORDS[type_name]]
        assert [r.id for r in entries(bundle)] == [str(records["wanted"].pk)], (type_name, param)
        assert {p.name for p in TYPES[type_name].params} >= {param}


def test_it_indents_on_request_and_answers_head(client):
    pretty = client.get(url("metadata"), {"_pretty": "true"})
    head = client.head(url("metadata"))

    assert pretty.content.startswith(b'{\n  "resourceType": "CapabilityStatement"')
    assert b"\n" not in client.get(url("metadata")).content
    assert head.status_code == 200 and head["Content-Type"].startswith("application/fhir+json")
