"""A workbook's IDs never overwrite the wrong person (issue 12): an ID that is the MRN of a
patient registered in the system, or whose name, sex or date of birth differ, is a conflict;
nothing is written for it until the clerk keeps both or confirms the same person."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from appointments.models import Appointment
from core.models import AuditEvent
from doctors.models import Doctor
from imports.services import workbook_import
from patients.models import MedicalHistory, Patient
from tests.factories import DoctorFactory, PatientFactory, UserFactory
from tests.imports.helpers import SAMPLE_CSV, sample_rows, write_workbook

pytestmark = pytest.mark.django_db

BORN = datetime.date(2006, 3, 14)


def _patricia() -> Patient:
    """Registered at the front desk; the system gave her P0000005."""
    return PatientFactory(
        mrn="P0000005", first_name="Patricia", last_name="Hall", sex="female", date_of_birth=BORN
    )


def _stranger_workbook(folder):
    """The issue's workbook: P0000005 is someone else there, with HIV on their history; and
    one more patient, P0000006, with an appointment."""
    return write_workbook(
        folder,
        Doctor=[None, ["D0001", "Ann", "Lee", "Cardiology", "", ""]],
        Patient=[
            None,
            ["P0000005", "Imported", "Stranger", "M", "33", "555-0100", ""],
            ["P0000006", "Olga", "Other", "F", "50", "", ""],
        ],
        Appointment=[
            None,
            ["A1", "P0000005", "D0001", "2024-06-03", "09:00", "09:30", "Completed"],
            ["A2", "P0000006", "D0001", "2024-06-03", "10:00", "10:30", "Completed"],
        ],
        PatientsAttendAppointments=[None, ["P0000005", "A1"], ["P0000006", "A2"]],
        MedicalHistory=[
            None,
            ["H1", "P0000005", "2024-06-03", "HIV infection", "", ""],
            ["H2", "P0000006", "2024-06-03", "Asthma", "", ""],
        ],
    )


def _unchanged(patricia: Patient) -> None:
    patricia.refresh_from_db()
    assert (patricia.first_name, patricia.last_name, patricia.sex) == ("Patricia", "Hall", "female")
    assert (patricia.date_of_birth, patricia.legacy_id) == (BORN, None)
    assert not MedicalHistory.objects.filter(patient=patricia).exists()
    assert not Appointment.objects.filter(patient=patricia).exists()


def test_it_lists_the_stranger_as_a_conflict_on_the_check(tmp_path):
    patricia = _patricia()

    report = workbook_import(path_or_file=_stranger_workbook(tmp_path / "wb"), dry_run=True)

    assert report.ok
    [conflict] = report.conflicts
    assert (conflict["id"], conflict["row"], conflict["resolution"]) == (
        "patient:P0000005",
        2,
        "skip",
    )
    assert conflict["reasons"] == [
        "P0000005 is the MRN the system gave a patient registered in it, not imported",
        "the name differs",
        "the sex differs",
        "the date of birth differs",
    ]
    workbook, system = dict(conflict["workbook"]), dict(conflict["system"])
    assert (workbook["Name"], workbook["Sex"]) == ("Imported Stranger", "Male")
    assert (system["Name"], system["Sex"]) == ("Patricia Hall", "Female")
    assert system["Came from"] == "registered in the system"
    assert [name for name, _ in conflict["system"]][:3] == ["MRN", "Name", "Sex"]
    assert conflict["record_id"] == patricia.pk
    assert conflict["options"] == ["skip", "keep_both", "same_person"]
    assert report.counts["Patient"].updated == 0
    assert report.counts["Patient"].skipped == 1
    assert report.counts["MedicalHistory"].skipped == 1
    assert report.counts["Appointment"].skipped == 1
    assert "1 conflict(s) not resolved" in report.outcome()


def test_it_changes_nobody_for_an_unresolved_conflict_and_imports_the_rest(tmp_path):
    patricia = _patricia()

    report = workbook_import(path_or_file=_stranger_workbook(tmp_path / "wb"))

    assert report.written
    _unchanged(patricia)
    assert not Patient.objects.filter(first_name="Imported").exists()
    assert not MedicalHistory.objects.filter(description="HIV infection").exists()
    assert not Appointment.objects.filter(legacy_id="A1").exists()
    olga = Patient.objects.get(mrn="P0000006")
    assert (olga.legacy_id, olga.history.get().description) == ("P0000006", "Asthma")
    assert Appointment.objects.get(legacy_id="A2").attendance.patient == olga


def test_it_keeps_both_with_a_new_mrn_and_the_rows_follow(tmp_path):
    patricia = _patricia()
    folder = _stranger_workbook(tmp_path / "wb")

    report = workbook_import(path_or_file=folder, resolutions={"patient:P0000005": "keep_both"})

    assert report.written, report.errors
    _unchanged(patricia)
    stranger = Patient.objects.get(legacy_id="P0000005")
    # The system's own sequence, after the P0000006 the workbook brought.
    assert (stranger.mrn, stranger.first_name, stranger.sex) == ("P0000007", "Imported", "male")
    assert stranger.history.get().description == "HIV infection"
    appointment = Appointment.objects.get(legacy_id="A1")
    assert (appointment.patient, appointment.attendance.patient) == (stranger, stranger)
    created = AuditEvent.objects.get(action="create", object_type="patients.patient")
    assert created.patient_id == stranger.pk
    assert created.changes["not_the_same_person_as"] == {"before": None, "after": ["P0000005"]}

    again = workbook_import(path_or_file=folder)

    assert not again.conflicts and not again.changed
    _unchanged(patricia)


def test_it_updates_the_same_person_and_audits_each_field(tmp_path):
    patricia = _patricia()

    report = workbook_import(
        path_or_file=_stranger_workbook(tmp_path / "wb"),
        resolutions={"patient:P0000005": "same_person"},
    )

    assert report.written, report.errors
    patricia.refresh_from_db()
    year = timezone.localdate().year - 33
    assert (patricia.mrn, patricia.legacy_id) == ("P0000005", "P0000005")
    assert (patricia.first_name, patricia.last_name, patricia.sex) == (
        "Imported",
        "Stranger",
        "male",
    )
    assert patricia.date_of_birth == datetime.date(year, 1, 1)
    assert patricia.history.get().description == "HIV infection"
    event = AuditEvent.objects.get(action="update", object_type="patients.patient")
    assert (event.object_id, event.patient_id) == (str(patricia.pk), patricia.pk)
    assert event.changes["first_name"] == {"before": "Patricia", "after": "Imported"}
    assert event.changes["sex"] == {"before": "female", "after": "male"}
    assert event.changes["date_of_birth"] == {"before": str(BORN), "after": f"{year}-01-01"}
    assert event.changes["legacy_id"] == {"before": None, "after": "P0000005"}
    assert event.changes["resolution"]["after"] == "same person: confirmed by the clerk"


def test_it_takes_a_history_row_alone_for_a_registered_patient_as_a_conflict(tmp_path):
    patricia = _patricia()
    folder = write_workbook(
        tmp_path / "wb",
        MedicalHistory=[None, ["H1", "P0000005", "2024-06-03", "HIV infection", "", ""]],
    )

    report = workbook_import(path_or_file=folder)

    [conflict] = report.conflicts
    assert conflict["options"] == ["skip", "same_person"]
    assert conflict["row"] is None
    _unchanged(patricia)


def test_it_flags_an_imported_patient_whose_sex_and_age_now_differ(tmp_path):
    PatientFactory(
        mrn="P0001",
        legacy_id="P0001",
        first_name="Cy",
        last_name="Cole",
        sex="female",
        date_of_birth=BORN,
    )
    folder = write_workbook(tmp_path / "wb", Patient=[None, ["P0001", "cy", "COLE", "M", "70"]])

    report = workbook_import(path_or_file=folder, dry_run=True)

    [conflict] = report.conflicts
    # Case and spacing of a name are no difference; an imported patient may be the same.
    assert conflict["reasons"] == ["the sex differs", "the date of birth differs"]
    assert conflict["options"] == ["skip", "keep_both", "same_person"]


def test_it_moves_the_id_to_the_new_patient_when_an_imported_one_is_kept_apart(tmp_path):
    old = PatientFactory(mrn="P0001", legacy_id="P0001", first_name="Cy", sex="female")
    folder = write_workbook(tmp_path / "wb", Patient=[None, ["P0001", "Zed", "Zane", "M", ""]])

    report = workbook_import(path_or_file=folder, resolutions={"patient:P0001": "keep_both"})

    assert report.written, report.errors
    old.refresh_from_db()
    assert (old.mrn, old.legacy_id, old.first_name) == ("P0001", None, "Cy")
    new = Patient.objects.get(legacy_id="P0001")
    assert new.first_name == "Zed" and new.mrn.startswith("P") and new.pk != old.pk


def _doctor_workbook(folder):
    return write_workbook(
        folder,
        Doctor=[None, ["D0001", "Leslie", "Lambert", "Cardiology", "", ""]],
        Patient=[None, ["P0001", "Cy", "Cole", "F", "40", "", ""]],
        Appointment=[None, ["A1", "P0001", "D0001", "2024-06-03", "09:00", "09:30", "Scheduled"]],
    )


@pytest.mark.parametrize("resolution", ["skip", "keep_both", "same_person"])
def test_it_resolves_a_doctor_created_in_the_system_with_another_name(tmp_path, resolution):
    house = DoctorFactory(code="D0001", first_name="Gregory", last_name="House")

    report = workbook_import(
        path_or_file=_doctor_workbook(tmp_path / "wb"), resolutions={"doctor:D0001": resolution}
    )

    assert report.written, report.errors
    [conflict] = report.conflicts
    assert conflict["reasons"] == [
        "D0001 is the code of a doctor created in the system, with another name"
    ]
    house.refresh_from_db()
    appointment = Appointment.objects.filter(legacy_id="A1").first()
    if resolution == "skip":
        assert (house.first_name, house.legacy_id) == ("Gregory", None)
        assert appointment is None
    elif resolution == "keep_both":
        assert (house.first_name, house.legacy_id) == ("Gregory", None)
        lambert = Doctor.objects.get(legacy_id="D0001")
        assert (lambert.code, lambert.last_name) == ("D0002", "Lambert")
        assert appointment.doctor == lambert
    else:
        assert (house.first_name, house.last_name, house.legacy_id) == (
            "Leslie",
            "Lambert",
            "D0001",
        )
        assert appointment.doctor == house
        event = AuditEvent.objects.get(action="update", object_type="doctors.doctor")
        assert event.changes["last_name"] == {"before": "House", "after": "Lambert"}


def test_it_updates_a_doctor_created_in_the_system_under_the_same_name(tmp_path):
    DoctorFactory(code="D0001", first_name="Leslie", last_name="Lambert", phone="1")

    report = workbook_import(path_or_file=_doctor_workbook(tmp_path / "wb"), dry_run=True)

    assert not report.conflicts
    [block] = report.changes
    [change] = block["shown"]
    assert ["Phone", "1", ""] in change["fields"]


def test_it_names_the_login_of_a_conflicting_doctor(tmp_path):
    DoctorFactory(
        code="D0001", first_name="Gregory", last_name="House", user=UserFactory(username="house")
    )

    report = workbook_import(path_or_file=_doctor_workbook(tmp_path / "wb"), dry_run=True)

    [conflict] = report.conflicts
    assert dict(conflict["system"])["Login"] == "signs in as house"
    assert dict(conflict["workbook"])["Name"] == "Leslie Lambert"


def test_it_prints_conflicts_and_takes_answers_on_the_command_line(tmp_path):
    patricia = _patricia()
    folder = _stranger_workbook(tmp_path / "wb")
    out = io.StringIO()

    call_command("import_workbook", str(folder), "--dry-run", stdout=out)

    assert "Conflict: Patient P0000005: P0000005 is the MRN the system gave" in out.getvalue()
    assert "(Patricia Hall in the system): skip" in out.getvalue()

    call_command(
        "import_workbook", str(folder), "--resolve", "patient:P0000005=keep_both", stdout=out
    )

    _unchanged(patricia)
    assert Patient.objects.get(legacy_id="P0000005").first_name == "Imported"
    with pytest.raises(CommandError, match="--resolve patient:\\*=same_person"):
        call_command("import_workbook", str(folder), "--resolve", "patient:*=same_person")


def test_it_renames_no_demo_doctor_when_the_sample_meets_the_demo_hospital(settings):
    """Issue 15: the sample workbook on the demo hospital renamed six doctors, among them the
    demo doctor's own record. Their codes are the sample's DoctorIDs, so they are conflicts."""
    settings.DEBUG = True
    call_command("seed_demo", patients=30, doctors=6, days=3, seed=7, stdout=io.StringIO())
    call_command("demo_accounts", stdout=io.StringIO())
    before = set(Doctor.objects.values_list("code", "first_name", "last_name"))

    report = workbook_import(path_or_file=SAMPLE_CSV)

    assert report.written, report.errors
    conflicts = {c["key"] for c in report.conflicts}
    assert conflicts == {row["DoctorID"] for row in sample_rows("Doctor")}
    assert all(c["kind"] == "doctor" for c in report.conflicts)
    assert any(dict(c["system"]).get("Login") == "signs in as doctor" for c in report.conflicts)
    assert set(Doctor.objects.values_list("code", "first_name", "last_name")) == before
    assert report.counts["Appointment"].skipped == len(sample_rows("Appointment"))
    assert report.counts["Patient"].created == len(sample_rows("Patient"))
