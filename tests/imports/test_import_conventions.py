"""The conventions of hospital workbooks (docs/workbook-format.md) that the import accepts."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from appointments.models import Appointment, Attendance
from billing.models import MedicationCost
from doctors.models import Doctor, Specialty
from imports.services import workbook_import
from patients.models import MedicalHistory, Patient
from tests.factories import PatientFactory
from tests.imports.helpers import write_workbook

pytestmark = pytest.mark.django_db


def _workbook(folder):
    return write_workbook(
        folder,
        Medication_Cost=[["MEDICATION", " Cost "], ["Metformin", "12.5"], ["Lisinopril", "9.75"]],
        Doctor=[
            ["doctorid", "FNAME", "lname", "Specialization", "contact", "EMAIL"],
            ["D1", "Ann", "Lee", "cardiology", "None", "N/A"],
            ["D2", "Bob", "Ray", "Cardiology ", "-", ""],
        ],
        Patient=[
            None,
            ["P1", "Cy", "Cole", "F", "40", "", ""],
            ["P2", "Di", "Dunn", "male", "", "555-0102", "di@example.org"],
            ["P3", "Ed", "Eady", "", "None", "", ""],
            ["P4", "Fay", "Ford", "OTHER", "0", "", ""],
        ],
        Appointment=[
            None,
            ["A1", "P1", "D1", "2024-06-03", "09:00", "09:30", "No Show"],
            ["A2", "P2", "D1", "2024-06-03", "09:00", "09:30", "no-show"],
            ["A3", "P3", "D1", "2024-06-03", "09:00", "09:30", "NO-SHOW"],
            ["A4", "P1", "D1", "2024-06-03", "9:30", "10:00", "completed"],
            ["A5", "P2", "D1", "2024-06-03", "10:00", "10:30", " Scheduled "],
            ["A6", "P4", "D2", "2024-06-03", "09:00:00", "09:30:00", "CANCELLED"],
        ],
        PatientsAttendAppointments=[None, ["P1", "A4"]],
        MedicalHistory=[
            None,
            ["H1", "P1", "2024-01-02", "Diabetes", "None", "metformin "],
            ["H2", "P1", "2024-01-03", "N/A", "-", "METFORMIN"],
            ["H3", "P2", "2024-01-04", "", "", " Unobtainium "],
            ["H4", "P2", "2024-01-05", "Asthma", "Appendectomy", ""],
            ["H5", "P3", "2024-01-06", "None", "None", "None"],
        ],
    )


def test_it_accepts_the_conventions_of_the_seed_workbook(tmp_path):
    report = workbook_import(path_or_file=_workbook(tmp_path / "wb"))

    assert report.ok, [str(p) for p in report.errors]
    # Headers in any case, and `Cost` for `Cost_in$`.
    assert MedicationCost.objects.get(name="Metformin").unit_cost == Decimal("12.50")
    # Specializations are matched case-blind and trimmed: one specialty.
    assert list(Specialty.objects.values_list("name", flat=True)) == ["cardiology"]
    assert Doctor.objects.get(code="D1").phone == ""
    assert Doctor.objects.get(code="D1").email == ""
    # Statuses: No Show / no-show / NO-SHOW alike, any case, trimmed.
    statuses = dict(Appointment.objects.values_list("legacy_id", "status"))
    assert statuses == {
        "A1": "no_show",
        "A2": "no_show",
        "A3": "no_show",
        "A4": "completed",
        "A5": "scheduled",
        "A6": "cancelled",
    }
    # Gender: F / male / blank / OTHER.
    sexes = dict(Patient.objects.values_list("mrn", "sex"))
    assert sexes == {"P1": "female", "P2": "male", "P3": "unknown", "P4": "other"}


def test_it_matches_medication_names_trimmed_and_case_blind(tmp_path):
    workbook_import(path_or_file=_workbook(tmp_path / "wb"))
    metformin = MedicationCost.objects.get(name="Metformin")

    medications = MedicalHistory.objects.filter(kind="medication").order_by("legacy_id")
    assert [(m.legacy_id, m.medication, m.description) for m in medications] == [
        ("H1", metformin, "Metformin"),
        ("H2", metformin, "Metformin"),
        ("H3", None, "Unobtainium"),  # not on the price list: still recorded, without a price
    ]


def test_it_treats_none_na_dash_and_blank_as_nothing(tmp_path):
    report = workbook_import(path_or_file=_workbook(tmp_path / "wb"))

    entries = sorted(MedicalHistory.objects.values_list("legacy_id", "kind", "description"))
    assert entries == [
        ("H1", "condition", "Diabetes"),
        ("H1", "medication", "Metformin"),
        ("H2", "medication", "Metformin"),
        ("H3", "medication", "Unobtainium"),
        ("H4", "condition", "Asthma"),
        ("H4", "surgery", "Appendectomy"),
    ]
    warnings = [str(w) for w in report.warnings]
    assert (
        "MedicalHistory row 6, Condition: no condition, surgery or medication: nothing to record"
        in warnings
    )
    assert any("not on the price list" in w and "Unobtainium" in w for w in warnings)


def test_it_estimates_the_date_of_birth_from_the_age(tmp_path):
    workbook_import(path_or_file=_workbook(tmp_path / "wb"))
    year = timezone.localdate().year

    people = {p.mrn: (p.date_of_birth, p.dob_is_estimated) for p in Patient.objects.all()}
    assert people["P1"] == (datetime.date(year - 40, 1, 1), True)
    assert people["P4"] == (datetime.date(year, 1, 1), True)
    assert people["P2"] == (None, False)  # no Age
    assert people["P3"] == (None, False)  # Age "None"


def test_it_keeps_a_known_date_of_birth_that_agrees_with_the_age(tmp_path):
    today = timezone.localdate()
    born = today.replace(year=today.year - 40) - datetime.timedelta(days=3)
    # Imported earlier; the front desk has since entered the exact date.
    PatientFactory(
        mrn="P1",
        legacy_id="P1",
        first_name="Cy",
        last_name="Cole",
        sex="female",
        date_of_birth=born,
    )

    report = workbook_import(path_or_file=_workbook(tmp_path / "wb"))

    assert report.written and not report.conflicts
    patient = Patient.objects.get(mrn="P1")
    assert (patient.date_of_birth, patient.dob_is_estimated) == (born, False)


def test_it_records_the_visit_of_a_completed_appointment(tmp_path):
    workbook_import(path_or_file=_workbook(tmp_path / "wb"))

    visit = Attendance.objects.select_related("appointment", "patient").get()
    assert visit.appointment.legacy_id == "A4"
    assert visit.patient.mrn == "P1"
    assert visit.checked_in_at == visit.appointment.start
    assert visit.completed_at == visit.appointment.end


def test_it_reads_times_in_the_hospital_time_zone(tmp_path, settings):
    settings.TIME_ZONE = "America/New_York"
    folder = write_workbook(
        tmp_path / "wb",
        Doctor=[None, ["D1", "Ann", "Lee", "Cardiology", "", ""]],
        Patient=[None, ["P1", "Cy", "Cole", "F", "40", "", ""]],
        Appointment=[
            None,
            ["A1", "P1", "D1", "2024-06-03", "09:00", "09:30", "Scheduled"],
            ["A2", "P1", "D1", "2024-03-10", "02:30", "03:30", "Scheduled"],
        ],
    )

    report = workbook_import(path_or_file=folder)

    assert [str(p) for p in report.errors] == [
        "Appointment row 3, StartTime: 2024-03-10 02:30 does not exist in America/New_York "
        "(clocks go forward)"
    ]
    folder = write_workbook(
        tmp_path / "wb2",
        Doctor=[None, ["D1", "Ann", "Lee", "Cardiology", "", ""]],
        Patient=[None, ["P1", "Cy", "Cole", "F", "40", "", ""]],
        Appointment=[None, ["A1", "P1", "D1", "2024-06-03", "09:00", "09:30", "Scheduled"]],
    )
    assert workbook_import(path_or_file=folder).ok
    start = Appointment.objects.get().start
    assert start == datetime.datetime(2024, 6, 3, 13, 0, tzinfo=datetime.UTC)


def test_it_warns_about_a_completed_appointment_without_a_visit(tmp_path):
    folder = write_workbook(
        tmp_path / "wb",
        Doctor=[None, ["D1", "Ann", "Lee", "Cardiology", "", ""]],
        Patient=[None, ["P1", "Cy", "Cole", "F", "40", "", ""]],
        Appointment=[None, ["A1", "P1", "D1", "2024-06-03", "09:00", "09:30", "Completed"]],
    )

    report = workbook_import(path_or_file=folder)

    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "Appointment row 2, Status: A1 is Completed but has no row in PatientsAttendAppointments "
        "(no visit recorded, no consultation billed)"
    ]


def test_it_reads_the_cell_types_excel_produces(tmp_path):
    import openpyxl

    from tests.imports.helpers import HEADERS

    book = openpyxl.Workbook()
    book.remove(book.active)
    rows = {
        "Medication_Cost": [["Metformin", 12.5], ["Aspirin", 3]],
        "Doctor": [[1, "Ann", "Lee", "Cardiology", None, None]],
        "Patient": [["P1", "Cy", "Cole", "Female", 40.0, 5550102, None]],
        "Appointment": [
            ["A1", "P1", 1, datetime.date(2024, 6, 3), datetime.time(9, 0), "09:30", "Completed"],
            ["A2", "P1", 1, "2024-06-04", "9:00", datetime.time(9, 30), "No Show"],
            ["A3", "P1", 1, 45448.0, 0.375, 0.395833333, "Scheduled"],  # Excel serials
        ],
        "PatientsAttendAppointments": [["P1", "A1"]],
        "MedicalHistory": [
            ["H1", "P1", datetime.datetime(2024, 1, 2), "Asthma", None, " metformin "],
        ],
    }
    for name, header in HEADERS.items():
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in rows[name]:
            sheet.append(row)
    path = tmp_path / "hospital.xlsx"
    book.save(path)

    report = workbook_import(path_or_file=path)

    assert report.ok, [str(p) for p in report.errors]
    assert Doctor.objects.get().code == "1"
    assert Patient.objects.get().phone == "5550102"
    assert MedicationCost.objects.get(name="Aspirin").unit_cost == Decimal("3.00")
    starts = dict(Appointment.objects.values_list("legacy_id", "start"))
    assert starts["A1"] == timezone.make_aware(datetime.datetime(2024, 6, 3, 9, 0))
    assert starts["A2"] == timezone.make_aware(datetime.datetime(2024, 6, 4, 9, 0))
    assert starts["A3"] == timezone.make_aware(datetime.datetime(2024, 6, 5, 9, 0))
    assert Appointment.objects.get(legacy_id="A3").end.minute == 30
    entry = MedicalHistory.objects.get(kind="medication")
    assert entry.recorded_on == datetime.date(2024, 1, 2)
    assert entry.medication.name == "Metformin"
