"""Who reads the clinical types, as the chart's pages say (clinical.access): doctors and
administrators all of them; billing clerks only the billable medications and surgeries; the
front desk none (a 403 saying so). Every read writes the chart's audit row, and a patient's
entries page by key."""

import pytest
from fhir.resources.R4B.bundle import Bundle

from core.models import AuditEvent
from tests.fhir.clinical_records import make_record
from tests.fhir.conftest import entries, link, outcome_of, parsed, url

pytestmark = pytest.mark.django_db

CLINICAL = ["Encounter", "Condition", "Procedure", "MedicationStatement", "AllergyIntolerance"]


@pytest.fixture
def record(db):
    return make_record()


def one_of(record, type_name):
    return {
        "Encounter": record.visit,
        "Condition": record.condition,
        "Procedure": record.surgery,
        "MedicationStatement": record.medication,
        "AllergyIntolerance": record.allergy,
    }[type_name]


def search_ids(api, type_name, user, **query) -> list[int]:
    bundle = parsed(api(url(f"{type_name.lower()}_search"), user=user, **query), Bundle)
    return sorted(int(r.id) for r in entries(bundle))


@pytest.mark.parametrize("type_name", CLINICAL)
@pytest.mark.parametrize("role", ["doctor", "admin_user"])
def test_doctors_and_administrators_read_every_type(request, api, record, role, type_name):
    user = request.getfixturevalue(role)
    row = one_of(record, type_name)

    assert parsed(api(url(f"{type_name.lower()}_read", row.pk), user=user)).id == str(row.pk)
    assert row.pk in search_ids(api, type_name, user, patient=str(record.patient.pk))


@pytest.mark.parametrize("type_name", CLINICAL)
def test_the_front_desk_is_refused_every_clinical_type(api, front_desk, record, type_name):
    row = one_of(record, type_name)

    read = outcome_of(api(url(f"{type_name.lower()}_read", row.pk), user=front_desk), 403)
    search = outcome_of(api(url(f"{type_name.lower()}_search"), user=front_desk), 403)

    assert "Your role may not read clinical records" in read
    assert read == search
    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.parametrize("type_name", ["Encounter", "Condition", "AllergyIntolerance"])
def test_billing_clerks_are_refused_visits_conditions_and_allergies(
    api, billing_clerk, record, type_name
):
    row = one_of(record, type_name)

    read = api(url(f"{type_name.lower()}_read", row.pk), user=billing_clerk)

    assert "for doctors and administrators" in outcome_of(read, 403)
    assert "may not read" in outcome_of(
        api(url(f"{type_name.lower()}_search"), user=billing_clerk), 403
    )


def test_billing_clerks_read_the_billable_medications_and_surgeries_only(
    api, billing_clerk, record
):
    r = record
    patient = str(r.patient.pk)

    assert search_ids(api, "Procedure", billing_clerk, patient=patient) == [r.surgery.pk]
    assert search_ids(api, "MedicationStatement", billing_clerk, patient=patient) == sorted(
        [r.medication.pk, r.medication_stopped.pk]
    )
    waived = api(url("medicationstatement_read", r.medication_waived.pk), user=billing_clerk)
    assert "no MedicationStatement" in outcome_of(waived, 404)
    assert "no Procedure" in outcome_of(
        api(url("procedure_read", r.surgery_waived.pk), user=billing_clerk), 404
    )
    given = parsed(api(url("medicationstatement_read", r.medication.pk), user=billing_clerk))
    assert given.medicationCodeableConcept.coding[0].display == "Aspirin 75 mg"


def test_a_user_without_a_role_reads_none(api, outsider, record):
    for type_name in CLINICAL:
        response = api(url(f"{type_name.lower()}_search"), user=outsider)
        assert "may not read" in outcome_of(response, 403)


# --- audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", CLINICAL)
def test_a_read_writes_the_charts_audit_row(api, doctor, record, type_name):
    row = one_of(record, type_name)

    api(url(f"{type_name.lower()}_read", row.pk), user=doctor)

    (event,) = AuditEvent.objects.filter(action="view")
    assert event.actor_id == doctor.pk
    assert event.patient_id == record.patient.pk
    assert event.changes["patients"] == [record.patient.pk]
    assert event.changes["resource_types"] == [type_name]
    assert event.changes["interaction"] == "read"


def test_a_search_names_every_patient_returned(api, doctor, record):
    api(url("condition_search"), user=doctor)
    api(url("medicationstatement_search"), user=doctor, patient=str(record.other.pk))

    first, second = AuditEvent.objects.filter(action="view").order_by("pk")
    assert first.changes["patients"] == sorted([record.patient.pk, record.other.pk])
    assert first.changes["resource_types"] == ["Condition"]
    assert second.changes["patients"] == [record.other.pk]
    assert second.patient_id == record.other.pk
    assert second.changes["query"] == f"patient={record.other.pk}"


# --- paging -----------------------------------------------------------------------------------


def test_a_patients_entries_page_by_key_each_once(api, doctor, record):
    wanted = search_ids(api, "MedicationStatement", doctor, patient=str(record.patient.pk))
    pages = [
        parsed(
            api(
                url("medicationstatement_search"),
                user=doctor,
                patient=str(record.patient.pk),
                _count="1",
            ),
            Bundle,
        )
    ]
    while (following := link(pages[-1], "next")) is not None:
        pages.append(parsed(api(following, user=doctor), Bundle))
        assert len(pages) < 10

    ids = [int(r.id) for page in pages for r in entries(page)]
    assert ids == wanted and len(wanted) == 3
    assert f"patient={record.patient.pk}" in link(pages[1], "self")


def test_a_clerks_pages_hold_only_what_the_clerk_may_read(api, billing_clerk, record):
    first = parsed(api(url("procedure_search"), user=billing_clerk, _count="1"), Bundle)

    assert [int(r.id) for r in entries(first)] == [record.surgery.pk]
    assert link(first, "next") is None
