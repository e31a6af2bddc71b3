"""Practitioner and PractitionerRole: doctors, their codes, names and specialties."""

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from tests.factories import DoctorFactory, SpecialtyFactory
from tests.fhir.conftest import entries, outcome_of, parsed, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def cardiologist(db):
    return DoctorFactory(
        code="D0042",
        first_name="Zoë",
        last_name="Müller",
        specialty=SpecialtyFactory(name="Cardiology"),
        phone="+1 555 0100",
        email="zoe@hospital.test",
    )


@pytest.fixture
def others(db):
    return [
        DoctorFactory(code="D0043", specialty=SpecialtyFactory(name="Pediatrics")),
        DoctorFactory(code="D0044", specialty=SpecialtyFactory(name="Pediatrics"), is_active=False),
    ]


def test_it_maps_a_doctor_to_a_practitioner(api, cardiologist):
    doctor = parsed(api(url("practitioner_read", cardiologist.pk)), Practitioner)

    assert doctor.id == str(cardiologist.pk)
    assert doctor.identifier[0].system.endswith("/sid/doctor-code")
    assert doctor.identifier[0].value == "D0042"
    assert (doctor.name[0].family, doctor.name[0].given, doctor.name[0].prefix) == (
        "Müller",
        ["Zoë"],
        ["Dr"],
    )
    assert [(t.system, t.value, t.use) for t in doctor.telecom] == [
        ("phone", "+1 555 0100", "work"),
        ("email", "zoe@hospital.test", "work"),
    ]
    assert doctor.active is True


def test_it_maps_a_doctors_role_with_the_specialty_and_the_practitioner(api, cardiologist):
    role = parsed(api(url("practitionerrole_read", cardiologist.pk)), PractitionerRole)

    assert role.specialty[0].text == "Cardiology"
    assert role.practitioner.reference == f"Practitioner/{cardiologist.pk}"
    assert role.active is True


def test_it_searches_practitioners_by_code_and_by_name(api, cardiologist, others):
    def codes(**query):
        bundle = parsed(api(url("practitioner_search"), **query), Bundle)
        return sorted(p.identifier[0].value for p in entries(bundle, Practitioner))

    assert codes(identifier="D0042") == ["D0042"]
    assert codes(identifier="D0042,D0043") == ["D0042", "D0043"]
    assert codes(identifier="http://elsewhere.example|D0042") == []
    assert codes(name="muller") == ["D0042"]  # accent- and case-blind
    assert codes(name="ZOE MÜL") == ["D0042"]
    assert codes() == ["D0042", "D0043", "D0044"]


def test_it_searches_roles_by_specialty_and_practitioner(api, cardiologist, others):
    def doctors(**query):
        bundle = parsed(api(url("practitionerrole_search"), **query), Bundle)
        return sorted(r.practitioner.reference for r in entries(bundle, PractitionerRole))

    pediatricians = sorted(f"Practitioner/{d.pk}" for d in others)
    assert doctors(specialty="pediatrics") == pediatricians
    assert doctors(specialty="Cardiology") == [f"Practitioner/{cardiologist.pk}"]
    assert doctors(practitioner=f"Practitioner/{cardiologist.pk}") == [
        f"Practitioner/{cardiologist.pk}"
    ]
    assert doctors(practitioner=str(others[0].pk)) == [f"Practitioner/{others[0].pk}"]
    assert doctors(specialty="Pediatrics", practitioner=str(cardiologist.pk)) == []


def test_it_refuses_a_reference_to_something_else(api, cardiologist):
    response = api(url("practitionerrole_search"), practitioner=f"Patient/{cardiologist.pk}")

    assert "not a reference to a Practitioner" in outcome_of(response, 400)
