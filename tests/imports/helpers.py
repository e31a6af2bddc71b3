"""Workbooks for the import tests: the sample in docs/sample-workbook, and small CSV folders
written on the fly."""

import csv
from pathlib import Path

from django.conf import settings

# The sample workbook kept in the repository (docs/workbook-format.md describes it).
SAMPLE = Path(settings.BASE_DIR) / "docs" / "sample-workbook"
SAMPLE_XLSX = SAMPLE / "hospital.xlsx"
SAMPLE_CSV = SAMPLE / "csv"

HEADERS = {
    "Medication_Cost": ["Medication", "Cost_in$"],
    "Doctor": ["DoctorID", "Fname", "Lname", "Specialization", "Contact", "Email"],
    "Patient": ["PatientID", "Fname", "Lname", "Gender", "Age", "Contact", "Email"],
    "Appointment": [
        "AppointmentID",
        "PatientID",
        "DoctorID",
        "Date",
        "StartTime",
        "EndTime",
        "Status",
    ],
    "PatientsAttendAppointments": ["PatientID", "AppointmentID"],
    "MedicalHistory": ["HistoryID", "PatientID", "Date", "Condition", "Surgeries", "Medication"],
}


def sample_rows(sheet: str) -> list[dict[str, str]]:
    """The sample's rows of one sheet, read with the csv module (the expected values)."""
    assert SAMPLE_CSV.is_dir(), f"the sample workbook is missing at {SAMPLE}"
    with (SAMPLE_CSV / f"{sheet}.csv").open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def write_workbook(folder: Path, **sheets: list[list[str]]) -> Path:
    """A folder of CSV files: each keyword names a sheet and gives its rows, header first
    unless the first row is None (then the standard header is used). Sheets not given are
    written with the standard header and no rows."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, header in HEADERS.items():
        rows = sheets.get(name, [None])
        if rows and rows[0] is None:
            rows = [header, *rows[1:]]
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def copy_sample(folder: Path, change=None) -> Path:
    """The sample CSV folder copied to `folder`; `change(sheet, rows)` may edit the rows
    (dicts) of each sheet before they are written."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, header in HEADERS.items():
        rows = sample_rows(name)
        if change is not None:
            change(name, rows)
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else header)
            writer.writeheader()
            writer.writerows(rows)
    return folder
