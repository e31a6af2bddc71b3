"""Patient: read and search (identifier, name, birthdate, gender), as demographics map to
FHIR; every answer validated by fhir.resources' R4B models."""

import datetime

import pytest
from django.test import override_settings
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient as PatientResource

from patients.models import Sex
from tests.factories import PatientFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(db):
    return PatientFactory(
        mrn="P0000101",
        first_name="María",
        last_name="González",
        date_of_birth=datetime.date(1984, 3, 12),
        sex=Sex.FEMALE,
        phone="+1 617 555 0134",
        email="maria@example.org",
        address_line1="12 Elm Street",
        city="Boston",
        country="USA",
        emergency_contact_name="Luis González",
        emergency_contact_phone="+1 617 555 0199",
        emergency_contact_relationship="Brother",
    )


def found(api, **query) -> list[str]:
    bundle = parsed(api(url("patient_search"), **query), Bundle)
    return [p.name[0].text for p in entries(bundle, PatientResource)]


@override_settings(HMS_FHIR_SYSTEM_BASE="https://hospital.example/fhir")
def test_it_maps_a_patients_demographics(api, maria):
    patient = parsed(api(url("patient_read", maria.pk)), PatientResource)

    assert patient.id == str(maria.pk)
    assert [(i.system, i.value) for i in patient.identifier] == [
        ("https://hospital.example/fhir/sid/mrn", "P0000101")
    ]
    assert patient.identifier[0].type.coding[0].code == "MR"
    assert (patient.name[0].family, patient.name[0].given) == ("González", ["María"])
    assert patient.gender == "female"
    assert patient.birthDate == datetime.date(1984, 3, 12)
    assert patient.birthDate__ext is None  # not estimated
    assert patient.active is True
    assert [(t.system, t.value) for t in patient.telecom] == [
        ("phone", "+1 617 555 0134"),
        ("email", "maria@example.org"),
    ]
    assert (patient.address[0].line, patient.address[0].city) == (["12 Elm Street"], "Boston")
    contact = patient.contact[0]
    assert (contact.name.text, contact.relationship[0].text) == ("Luis González", "Brother")
    assert patient.meta.lastUpdated is not None


def test_it_says_when_a_date_of_birth_is_estimated_and_leaves_out_what_is_unknown(api):
    estimated = PatientFactory(
        date_of_birth=datetime.date(1960, 1, 1), dob_is_estimated=True, phone="", sex="unknown"
    )
    unknown = PatientFactory(date_of_birth=None, phone="", is_active=False)

    first = parsed(api(url("patient_read", estimated.pk)), PatientResource)
    second = parsed(api(url("patient_read", unknown.pk)), PatientResource)

    flag = first.birthDate__ext.extension[0]
    assert flag.url.endswith("/StructureDefinition/birthdate-estimated")
    assert flag.valueBoolean is True
    assert first.gender == "unknown"
    assert first.telecom is None
    assert second.birthDate is None
    assert second.active is False


def test_it_finds_a_patient_by_mrn(api, maria):
    PatientFactory()

    assert found(api, identifier="P0000101") == ["María González"]
    assert found(api, identifier="https://hms.example.org/fhir/sid/mrn|P0000101") == [
        "María González"
    ]
    assert found(api, identifier="http://other.example/mrn|P0000101") == []
    assert found(api, identifier="P0000101,P9999999") == ["María González"]
    assert found(api, identifier="p0000101") == []  # an identifier is exact


def test_it_finds_names_by_their_start_accent_blind_and_close_spellings_when_none_starts(
    api, maria
):
    PatientFactory(first_name="John", last_name="Smith")
    PatientFactory(first_name="Waylon", last_name="Smithers")
    PatientFactory(first_name="Anna", last_name="Blacksmith")  # "smith" inside, not at a start

    assert found(api, name="maria gonzalez") == ["María González"]
    assert found(api, name="GONZ") == ["María González"]  # the start of a name
    assert found(api, name="smith") == ["John Smith", "Waylon Smithers"]  # in name order
    assert found(api, name="john") == ["John Smith"]  # a given name
    # Several name parameters must all match.
    assert found(api, name=["waylon", "smith"]) == ["Waylon Smithers"]
    assert found(api, name=["waylon", "jones"]) == []
    # No name starts with a misspelt one: the closest spellings, the best first.
    assert found(api, name="Gonzales") == ["María González"]
    assert found(api, name="smiht")[0] == "John Smith"


def test_a_short_name_is_searched_by_its_start(api, maria):
    PatientFactory(first_name="Mei", last_name="Wu")
    PatientFactory(first_name="Wulf", last_name="Berg")

    assert found(api, name="wu") == ["Mei Wu", "Wulf Berg"]
    assert found(api, name="ma") == ["María González"]
    # Too short to look for close spellings: nothing, rather than half the hospital.
    assert found(api, name="qx") == []


def test_it_says_when_the_page_shows_close_spellings(api):
    PatientFactory(first_name="Chidi", last_name="Okafor")

    bundle = parsed(api(url("patient_search"), name="okafro"), Bundle)

    outcomes = [e.resource for e in bundle.entry if e.search.mode == "outcome"]
    assert [p.name[0].text for p in entries(bundle)] == ["Chidi Okafor"]
    assert "closest spellings" in outcomes[0].issue[0].diagnostics
    assert link(bundle, "next") is None
    exact = parsed(api(url("patient_search"), name="okafor"), Bundle)
    assert [e.search.mode for e in exact.entry] == ["match"]  # no note


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1984-03-12", {"1984-03-12"}),
        ("eq1984", {"1984-03-12", "1984-12-31"}),
        ("1984-03", {"1984-03-12"}),
        ("ge1984-03-12", {"1984-03-12", "1984-12-31", "1990-01-01"}),
        ("gt1984-03-12", {"1984-12-31", "1990-01-01"}),
        ("gt1984", {"1990-01-01"}),
        ("le1984-03-12", {"1980-06-30", "1984-03-12"}),
        ("lt1984", {"1980-06-30"}),
        ("lt1984-03-12", {"1980-06-30"}),
        ("lt1980,gt1985", {"1990-01-01"}),
        ("lt1980,ge1990", {"1990-01-01"}),
    ],
)
def test_it_searches_birth_dates_with_prefixes(api, value, expected):
    for day in ("1980-06-30", "1984-03-12", "1984-12-31", "1990-01-01"):
        PatientFactory(date_of_birth=datetime.date.fromisoformat(day))
    PatientFactory(date_of_birth=None)

    bundle = parsed(api(url("patient_search"), birthdate=value), Bundle)

    assert {p.birthDate.isoformat() for p in entries(bundle)} == expected


def test_it_combines_birthdate_bounds_and_other_parameters(api, maria):
    PatientFactory(first_name="Marta", last_name="Gonzalo", date_of_birth=datetime.date(1990, 5, 1))

    query = {"birthdate": ["ge1984-01-01", "le1984-12-31"]}
    assert found(api, **query) == ["María González"]
    assert found(api, name="gonzal", birthdate="gt1985") == ["Marta Gonzalo"]


def test_it_searches_by_gender(api, maria):
    PatientFactory(first_name="Peter", last_name="Pan", sex=Sex.MALE)
    PatientFactory(first_name="Sam", last_name="Doe", sex=Sex.OTHER)

    assert found(api, gender="male") == ["Peter Pan"]
    assert set(found(api, gender="female,other")) == {"María González", "Sam Doe"}
    assert found(api, gender="http://hl7.org/fhir/administrative-gender|other") == ["Sam Doe"]
    assert "none of female" in outcome_of(api(url("patient_search"), gender="woman"), 400)


def test_it_answers_an_empty_searchset_with_a_total_of_nothing(api):
    bundle = parsed(api(url("patient_search"), identifier="P404"), Bundle)

    assert bundle.total == 0
    assert bundle.entry is None
