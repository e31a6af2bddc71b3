"""The migrations that add `legacy_id` tell the patients and doctors an earlier import brought
in from those registered in the system, so that importing the same workbook again finds them
instead of reporting every one as a conflict."""

import datetime

from django.utils import timezone

from core import audit
from doctors.models import Doctor
from patients.models import Patient
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    MedicalHistoryFactory,
    PatientFactory,
)


def test_it_marks_what_an_earlier_import_brought_in(migrating):
    start = timezone.make_aware(datetime.datetime(2024, 6, 3, 9, 0))
    imported_doctor = DoctorFactory(code="D0001")
    DoctorFactory(code="DR-7")  # not the system's D number: imported
    created_doctor = DoctorFactory(code="D0002")
    audit.audit_record(actor=None, action=audit.Action.CREATE, obj=created_doctor)
    legacy_mrn = PatientFactory(mrn="P0001")
    imported = PatientFactory(mrn="P0000101")
    MedicalHistoryFactory(patient=imported, legacy_id="H1")
    AppointmentFactory(
        patient=PatientFactory(mrn="P0000102"),
        doctor=imported_doctor,
        legacy_id="A1",
        start=start,
        end=start + datetime.timedelta(minutes=30),
    )
    registered = PatientFactory(mrn="P0000103")  # at the desk; a bad import gave it history
    audit.audit_record(actor=None, action=audit.Action.CREATE, obj=registered)
    MedicalHistoryFactory(patient=registered, legacy_id="H2")
    demo = PatientFactory(mrn="P0000104")  # the demo: no audit row, nothing imported

    migrating.migrate([("patients", "0003_patient_email_international")])
    # The loader's applied set is read once: without a new look, a migration that depends on
    # both apps (the clinical ones) would be rolled back a second time.
    migrating.loader.build_graph()
    migrating.migrate([("doctors", "0002_doctor_email_international")])
    migrating.loader.build_graph()
    migrating.migrate(migrating.loader.graph.leaf_nodes())

    patients = dict(Patient.objects.values_list("mrn", "legacy_id"))
    assert patients == {
        legacy_mrn.mrn: "P0001",
        imported.mrn: "P0000101",
        "P0000102": "P0000102",
        registered.mrn: None,
        demo.mrn: None,
    }
    doctors = dict(Doctor.objects.values_list("code", "legacy_id"))
    assert doctors == {"D0001": "D0001", "DR-7": "DR-7", "D0002": None}
