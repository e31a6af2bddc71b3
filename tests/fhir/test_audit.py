"""Every read of patients through the API writes the chart's audit row (core.audit.audit_view):
who, which patients (one row per request naming all it returned), and which resource types."""

import pytest
from fhir.resources.R4B.bundle import Bundle

from core.models import AuditEvent
from tests.factories import DoctorFactory, PatientFactory
from tests.fhir.conftest import entries, parsed, url

pytestmark = pytest.mark.django_db


def views():
    return list(AuditEvent.objects.filter(action="view").order_by("pk"))


def test_a_patient_read_writes_the_charts_audit_row(api, front_desk):
    patient = PatientFactory()

    parsed(api(url("patient_read", patient.pk), user=front_desk))

    (row,) = views()
    assert (row.actor_id, row.patient_id, row.object_type, row.object_id) == (
        front_desk.pk,
        patient.pk,
        "patients.patient",
        str(patient.pk),
    )
    assert row.changes["patients"] == [patient.pk]
    assert row.changes["resource_types"] == ["Patient"]
    assert row.changes["interaction"] == "read"
    assert row.path == url("patient_read", patient.pk)


def test_a_search_writes_one_row_naming_the_patients_returned(api, doctor):
    shown = PatientFactory.create_batch(3, last_name="Adeyemi")
    PatientFactory(last_name="Other")

    bundle = parsed(api(url("patient_search"), user=doctor, name="adeyemi"), Bundle)

    (row,) = views()
    assert sorted(row.changes["patients"]) == sorted(p.pk for p in shown)
    assert {int(p.id) for p in entries(bundle)} == {p.pk for p in shown}
    assert row.object_type == "patients.patient" and row.patient_id is None
    assert row.changes["query"] == "name=adeyemi"
    assert row.changes["interaction"] == "search-type"


def test_each_page_names_its_own_patients(api):
    PatientFactory.create_batch(3)

    first = parsed(api(url("patient_search"), _count="2"), Bundle)
    parsed(api(next(link.url for link in first.link if link.relation == "next")), Bundle)

    rows = views()
    assert [len(row.changes["patients"]) for row in rows] == [2, 1]


def test_refused_reads_and_doctors_write_no_view_row(api, outsider):
    patient = PatientFactory()
    doctor = DoctorFactory()

    api(url("patient_read", patient.pk), user=outsider)
    api(url("practitioner_read", doctor.pk))
    api(url("practitionerrole_search"))

    assert views() == []
