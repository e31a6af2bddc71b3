"""Observation: the vital signs taken at visits, in the vital-signs profile's shape (LOINC codes,
UCUM units, the normal range and H/L/N), searched by patient, code, category and date, paged
by key, read by doctors and administrators only, every read audited. Every answer is parsed
back with fhir.resources' R4B models."""

import datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from core.models import AuditEvent
from tests.factories import DoctorFactory, PatientFactory
from tests.fhir.conftest import entries, link, outcome_of, parsed, url
from tests.fhir.observation_records import (
    OBSERVATION_EXAMPLES,
    at,
    observation,
    observation_world,
    reading,
    visit_on,
)

pytestmark = pytest.mark.django_db

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
MARCH, APRIL = datetime.date(2024, 3, 5), datetime.date(2024, 4, 9)


@pytest.fixture
def record(db):
    """Amara's two visits (a high blood pressure and fever in March, a normal pulse, weight and
    height in April) and Bruno's one (a low SpO₂)."""
    amara, bruno = PatientFactory(first_name="Amara"), PatientFactory(first_name="Bruno")
    doctor = DoctorFactory()
    march, april = visit_on(amara, doctor, MARCH), visit_on(amara, doctor, APRIL)
    first = reading(
        march, at(MARCH), systolic=152, diastolic=96, temperature=Decimal("38.4"), pulse=104
    )
    second = reading(april, at(APRIL), pulse=72, weight=Decimal("70.0"), height=Decimal("175"))
    other = reading(visit_on(bruno, doctor, MARCH, 13), at(MARCH, 14), spo2=91)
    return {
        "amara": amara,
        "bruno": bruno,
        "march": march,
        "bp": observation(first, "blood_pressure"),
        "fever": observation(first, "temperature"),
        "fast_pulse": observation(first, "pulse"),
        "pulse": observation(second, "pulse"),
        "weight": observation(second, "weight"),
        "height": observation(second, "height"),
        "bmi": observation(second, "bmi"),
        "spo2": observation(other, "spo2"),
    }


def read(api, row, user=None) -> Observation:
    return parsed(api(url("observation_read", row.pk), user=user), Observation)


def found(api, user=None, **query) -> list[int]:
    bundle = parsed(api(url("observation_search"), user=user, _count="100", **query), Bundle)
    return sorted(int(r.id) for r in entries(bundle, Observation))


def ids(record, *names) -> list[int]:
    return sorted(record[n].pk for n in names)


def codes(concept) -> list[tuple[str, str]]:
    return [(c.system, c.code) for c in concept.coding]


# --- the resource ------------------------------------------------------------------------------


def test_a_blood_pressure_is_the_panel_with_its_two_components_judged(api, doctor, record):
    bp = read(api, record["bp"], doctor)

    assert bp.status == "final"
    assert codes(bp.category[0]) == [
        ("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")
    ]
    assert codes(bp.code) == [(LOINC, "85354-9")]
    assert bp.valueQuantity is None
    systolic, diastolic = bp.component
    assert codes(systolic.code) == [(LOINC, "8480-6")]
    assert codes(diastolic.code) == [(LOINC, "8462-4")]
    assert (systolic.valueQuantity.value, systolic.valueQuantity.code) == (152, "mm[Hg]")
    assert systolic.valueQuantity.system == UCUM
    assert (diastolic.valueQuantity.value, diastolic.valueQuantity.unit) == (96, "mmHg")
    assert [c.code for c in systolic.interpretation[0].coding] == ["H"]
    assert [c.code for c in diastolic.interpretation[0].coding] == ["H"]
    assert (systolic.referenceRange[0].low.value, systolic.referenceRange[0].high.value) == (
        90,
        139,
    )
    assert bp.subject.reference == f"Patient/{record['amara'].pk}"
    assert bp.encounter.reference == f"Encounter/{record['march'].pk}"
    assert bp.effectiveDateTime == at(MARCH)


def test_each_vital_has_its_loinc_code_ucum_unit_and_judgement(api, doctor, record):
    fever, pulse, spo2 = (read(api, record[n], doctor) for n in ("fever", "pulse", "spo2"))
    weight, height, bmi = (read(api, record[n], doctor) for n in ("weight", "height", "bmi"))

    assert codes(fever.code) == [(LOINC, "8310-5")]
    assert (fever.valueQuantity.value, fever.valueQuantity.code) == (Decimal("38.4"), "Cel")
    assert fever.interpretation[0].coding[0].code == "H"
    assert codes(pulse.code) == [(LOINC, "8867-4")]
    assert (pulse.valueQuantity.value, pulse.valueQuantity.code) == (72, "/min")
    assert pulse.interpretation[0].coding[0].code == "N"
    assert codes(spo2.code) == [(LOINC, "2708-6"), (LOINC, "59408-5")]
    assert (spo2.valueQuantity.value, spo2.valueQuantity.code) == (91, "%")
    assert spo2.interpretation[0].coding[0].code == "L"
    assert codes(weight.code) == [(LOINC, "29463-7")] and weight.valueQuantity.code == "kg"
    assert weight.interpretation is None  # no normal range of its own
    assert codes(height.code) == [(LOINC, "8302-2")] and height.valueQuantity.code == "cm"
    assert codes(bmi.code) == [(LOINC, "39156-5")]
    assert (bmi.valueQuantity.value, bmi.valueQuantity.code) == (Decimal("22.9"), "kg/m2")


def test_an_id_that_is_no_observation_is_not_found(api, doctor, record):
    missing = record["bp"].pk + 9  # the reading's number 9: no vital
    assert "There is no Observation with id" in outcome_of(
        api(url("observation_read", missing), user=doctor), 404
    )


# --- search ------------------------------------------------------------------------------------


def test_it_searches_by_patient(api, doctor, record):
    amara = ids(record, "bp", "fever", "fast_pulse", "pulse", "weight", "height", "bmi")
    assert found(api, doctor, patient=f"Patient/{record['amara'].pk}") == amara
    assert found(api, doctor, patient=str(record["bruno"].pk)) == ids(record, "spo2")


def test_it_searches_by_loinc_code(api, doctor, record):
    assert found(api, doctor, code="8867-4") == ids(record, "fast_pulse", "pulse")
    assert found(api, doctor, code="http://loinc.org|85354-9") == ids(record, "bp")
    assert found(api, doctor, code="59408-5,39156-5") == ids(record, "spo2", "bmi")
    assert found(api, doctor, code="http://snomed.info/sct|8867-4") == []
    assert found(api, doctor, code="8480-6") == []  # a component's code, not an Observation's


def test_it_searches_by_category(api, doctor, record):
    assert len(found(api, doctor, category="vital-signs")) == 8
    assert found(api, doctor, category="laboratory") == []
    refused = api(url("observation_search"), user=doctor, category="vitals")
    assert "category: 'vitals' is none of" in outcome_of(refused, 400)


def test_it_searches_by_the_time_taken_with_prefixes(api, doctor, record):
    march = ids(record, "bp", "fever", "fast_pulse", "spo2")
    april = ids(record, "pulse", "weight", "height", "bmi")
    assert found(api, doctor, date="2024-03-05") == march
    assert found(api, doctor, date="ge2024-04") == april
    assert found(api, doctor, date="lt2024-04-09") == march
    assert found(api, doctor, date="le2024-03", code="8867-4") == ids(record, "fast_pulse")
    assert "not a date" in outcome_of(api(url("observation_search"), user=doctor, date="x"), 400)


def test_it_pages_by_key_through_every_observation(api, doctor, record):
    seen, page = [], url("observation_search") + "?_count=3"
    while page:
        bundle = parsed(api(page, user=doctor), Bundle)
        seen += [int(r.id) for r in entries(bundle, Observation)]
        page = link(bundle, "next")
    assert sorted(seen) == sorted(r.pk for r in record.values() if hasattr(r, "kind"))
    assert len(seen) == len(set(seen)) == 8


def test_the_metadata_examples_find_exactly_the_wanted_observation(api, doctor):
    wanted = PatientFactory()
    world = {"Patient": {"wanted": wanted, "other": PatientFactory()}}
    world["Encounter"] = {"wanted": visit_on(wanted, DoctorFactory(), MARCH)}
    world |= observation_world(world)
    reading(visit_on(world["Patient"]["other"], DoctorFactory(), APRIL), at(APRIL), spo2=97)
    for (_, param), example in OBSERVATION_EXAMPLES.items():
        hits = found(api, doctor, **{param: example(world)})
        if param != "category":  # every Observation is a vital sign
            assert hits == [world["Observation"]["wanted"].pk], param


# --- who reads it --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "billing_clerk"])
def test_the_front_desk_and_billing_clerks_are_refused(request, api, record, role):
    user = request.getfixturevalue(role)
    search = api(url("observation_search"), user=user)
    one = api(url("observation_read", record["bp"].pk), user=user)

    assert "may not read clinical records (vital signs)" in outcome_of(search, 403)
    assert "may not read clinical records (vital signs)" in outcome_of(one, 403)
    assert not AuditEvent.objects.filter(action="view").exists()


def test_administrators_read_it_too(api, admin_user, record):
    assert read(api, record["pulse"], admin_user).id == str(record["pulse"].pk)


def test_every_read_is_audited_naming_the_patient(api, doctor, record):
    read(api, record["bp"], doctor)

    (event,) = AuditEvent.objects.filter(action="view")
    assert event.actor_id == doctor.pk
    assert event.patient_id == record["amara"].pk
    assert event.changes["resource_types"] == ["Observation"]


def test_everything_holds_the_patients_observations(api, doctor, record):
    bundle = parsed(api(url("patient_everything", record["amara"].pk), user=doctor), Bundle)

    observations = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
    ]
    assert sorted(int(o.id) for o in observations) == ids(
        record, "bp", "fever", "fast_pulse", "pulse", "weight", "height", "bmi"
    )
