"""A workbook with problems imports nothing and names every problem by sheet, row and column."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from appointments.models import Appointment, Attendance
from billing.models import MedicationCost
from doctors.models import Doctor
from imports import plan
from imports.services import workbook_import
from patients.models import MedicalHistory, Patient
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory
from tests.imports.helpers import SAMPLE_CSV, sample_rows, write_workbook

pytestmark = pytest.mark.django_db

DOCTORS = [
    None,
    ["D0001", "Ann", "Lee", "Cardiology", "", ""],
    ["D0002", "Bob", "Ray", "Neurology", "", ""],
]
PATIENTS = [
    None,
    ["P0001", "Cy", "Cole", "Female", "40", "", ""],
    ["P0002", "Di", "Dunn", "Male", "50", "", ""],
    ["P0003", "Ed", "Eady", "Male", "60", "", ""],
    ["P0002", "Fay", "Ford", "Female", "30", "", ""],
]


def _bad_workbook(folder):
    return write_workbook(
        folder,
        Medication_Cost=[
            None,
            ["Metformin", "12.50"],
            ["Aspirin", "-1"],
            ["metformin ", "3"],
        ],
        Doctor=DOCTORS,
        Patient=PATIENTS,
        Appointment=[
            None,
            ["A1", "P0001", "D0001", "2024-06-03", "09:00", "09:30", "Scheduled"],
            ["A2", "P9999", "D0001", "2024-06-03", "10:00", "10:30", "Scheduled"],
            ["A3", "P0001", "D0001", "2024-02-30", "09:00", "09:30", "Completed"],
            ["A4", "P0002", "D0002", "2024-06-03", "11:00", "10:30", "Scheduled"],
            ["A5", "P0003", "D0001", "2024-06-03", "09:15", "09:45", "Scheduled"],
            ["A6", "P0001", "D0002", "2024-06-03", "09:00", "09:30", "Completed"],
            ["A7", "P0002", "D0002", "2024-06-04", "09:30", "10:00", "Scheduled"],
            ["A1", "P0003", "D0002", "2024-06-05", "09:00", "09:30", "Cancelled"],
            ["A8", "P0003", "D0002", "2024-06-06", "09:00", "09:30", "Maybe"],
            ["A9", "P0003", "D0001", "2024-06-07", "09:00", "09:30", "Cancelled"],
        ],
        PatientsAttendAppointments=[None, ["P0001", "A404"], ["P0003", "A9"]],
        MedicalHistory=[
            ["HistoryID", "PatientID", "Date", "Condition", "Medication"],
            ["H1", "P0001", "2024-01-01", "Asthma", "Metformin"],
        ],
    )


def _booked_in_the_system():
    """An appointment already booked for D0002 (imported earlier) on 2024-06-04 09:00–10:00
    (no legacy id)."""
    start = timezone.make_aware(datetime.datetime(2024, 6, 4, 9, 0))
    return AppointmentFactory(
        doctor=DoctorFactory(code="D0002", legacy_id="D0002", first_name="Bea"),
        patient=PatientFactory(mrn="P7777"),
        start=start,
        end=start + datetime.timedelta(hours=1),
    )


def _expected_problems(booked) -> list[str]:
    return [
        "Medication_Cost row 3, Cost_in$: the cost -1 is negative",
        "Medication_Cost row 4, Medication: duplicate medication 'metformin' (first on row 2)",
        "Patient row 5, PatientID: duplicate PatientID P0002 (first on row 3)",
        "Appointment row 3, PatientID: unknown patient P9999",
        "Appointment row 4, Date: '2024-02-30' is not a date (expected YYYY-MM-DD)",
        "Appointment row 5, EndTime: the appointment ends before it starts",
        "Appointment row 6, StartTime: doctor D0001 overlaps appointment A1 (row 2)",
        "Appointment row 7, StartTime: patient P0001 overlaps appointment A1 (row 2)",
        f"Appointment row 8, StartTime: doctor D0002 overlaps appointment #{booked.pk} already "
        "in the system (2024-06-04 09:00–10:00)",
        "Appointment row 9, AppointmentID: duplicate AppointmentID A1 (first on row 2)",
        "Appointment row 10, Status: unknown status 'Maybe' "
        "(expected Scheduled, Completed, Cancelled or No-Show)",
        "PatientsAttendAppointments row 2, AppointmentID: unknown appointment A404",
        "PatientsAttendAppointments row 3, AppointmentID: appointment A9 is Cancelled; "
        "only a completed appointment was attended",
        "MedicalHistory row 1, Surgeries: missing column",
    ]


def _table_sizes() -> dict:
    models = (MedicationCost, Doctor, Patient, Appointment, Attendance, MedicalHistory)
    return {model.__name__: model.objects.count() for model in models}


def test_it_reports_every_problem_and_imports_nothing(tmp_path):
    booked = _booked_in_the_system()
    before = _table_sizes()

    report = workbook_import(path_or_file=_bad_workbook(tmp_path / "bad"))

    assert [str(p) for p in report.errors] == _expected_problems(booked)
    assert not report.written
    assert _table_sizes() == before
    assert Doctor.objects.get(code="D0002").first_name == "Bea"


def test_it_reports_a_missing_sheet(tmp_path):
    folder = write_workbook(tmp_path / "wb")
    (folder / "Doctor.csv").unlink()

    report = workbook_import(path_or_file=folder)

    assert [str(p) for p in report.errors] == ["Doctor: missing sheet (or Doctor.csv)"]


def test_it_reports_a_csv_file_that_is_not_utf8(tmp_path):
    folder = write_workbook(tmp_path / "wb")
    (folder / "Patient.csv").write_bytes(
        b"PatientID,Fname,Lname,Gender,Age,Contact,Email\nP1,Ren\xe9e,Lewis,F,40,,\n"
    )

    report = workbook_import(path_or_file=folder)

    assert [str(p) for p in report.errors] == [
        "Patient: is not UTF-8 text: save it from Excel as “CSV UTF-8”"
    ]


def test_it_reports_a_file_it_cannot_read(tmp_path):
    broken = tmp_path / "hospital.xlsx"
    broken.write_text("not a workbook")

    report = workbook_import(path_or_file=broken)

    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("Workbook: cannot be read")


def test_it_rolls_everything_back_when_the_database_refuses(tmp_path, monkeypatch):
    # Pretend the overlap check missed a clash (as when a booking lands while the workbook is
    # being read): the database's exclusion constraint refuses, and nothing stays written.
    monkeypatch.setattr(plan, "check_overlaps", lambda *args: [])
    folder = write_workbook(
        tmp_path / "race",
        Doctor=DOCTORS[:3],
        Patient=PATIENTS[:4],
        Appointment=[
            None,
            ["A1", "P0001", "D0001", "2024-06-03", "09:00", "09:30", "Scheduled"],
            ["A2", "P0002", "D0001", "2024-06-03", "09:00", "09:30", "Scheduled"],
        ],
    )

    report = workbook_import(path_or_file=folder)

    assert not report.written
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("Database: refused the import, so nothing was")
    assert "overlap" in str(report.errors[0])
    assert not Patient.objects.exists()
    assert not Doctor.objects.exists()


def test_it_prints_each_problem_from_the_command_and_fails(tmp_path):
    booked = _booked_in_the_system()
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="14 problem"):
        call_command(
            "import_workbook", str(_bad_workbook(tmp_path / "bad")), stdout=out, stderr=err
        )

    assert err.getvalue().splitlines() == _expected_problems(booked)


def test_it_exits_the_command_with_status_1_on_problems(tmp_path, monkeypatch, capsys):
    # run_from_argv is what manage.py calls; keep it from closing the test's connection.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    from imports.management.commands.import_workbook import Command

    folder = write_workbook(tmp_path / "wb", Patient=[None, ["P1", "", "X", "", "", "", ""]])
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "import_workbook", str(folder)])

    assert exit_info.value.code == 1
    assert "Patient row 2, Fname: a first name is required" in capsys.readouterr().err
    assert not Patient.objects.exists()


def test_it_exits_the_command_with_status_0_and_prints_counts(monkeypatch, capsys):
    monkeypatch.setattr(connections, "close_all", lambda: None)
    from imports.management.commands.import_workbook import Command

    Command().run_from_argv(["manage.py", "import_workbook", str(SAMPLE_CSV)])
    first = capsys.readouterr().out
    Command().run_from_argv(["manage.py", "import_workbook", str(SAMPLE_CSV)])
    second = capsys.readouterr().out

    patients = len(sample_rows("Patient"))
    assert f"Patient: {patients} created, 0 updated, 0 unchanged" in first
    assert "Imported in" in first
    assert f"Patient: 0 created, 0 updated, {patients} unchanged" in second
    assert "Nothing to change: the system already matches the workbook." in second


def test_it_says_what_a_dry_run_would_change():
    out = StringIO()

    call_command("import_workbook", str(SAMPLE_CSV), "--dry-run", stdout=out)

    patients = len(sample_rows("Patient"))
    assert (
        f"Patient: {patients} would be created, 0 would be updated, 0 unchanged" in out.getvalue()
    )
    assert "Dry run: the workbook is valid; nothing was written." in out.getvalue()
    assert not Patient.objects.exists()
