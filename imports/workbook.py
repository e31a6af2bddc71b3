"""Reading the seed-shaped hospital workbook (`docs/workbook-format.md`).

`read_workbook` turns an `.xlsx` file (or an uploaded file object) or a folder of CSV files
named after the sheets into typed rows, and reports every problem that one row shows on its
own: a missing column, an impossible date, an end before its start, a negative cost, a
duplicate ID. Checks that need the database (unknown IDs, overlaps with appointments already
booked) live in `imports.plan`. Cells are read by `imports.cells`, files opened by
`imports.sources`.

Headers match case-blind and `Cost_in$` may be called `Cost`; a sheet may also be
named like SQL Server's table (`Patient$`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.utils import timezone

from imports import cells
from imports.cells import (
    DESCRIPTION_MAX,
    ID_MAX,
    LEGACY_ID_MAX,
    MEDICATION_NAME_MAX,
    NAME_MAX,
    PHONE_MAX,
)
from imports.sources import open_workbook, sheet_key

Progress = Callable[[str], None]

# Rows read between two progress messages.
PROGRESS_EVERY = 100_000


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the workbook, printed as `Sheet row N, column: message`.

    `row` is the spreadsheet row number (the header is row 1); a problem with the whole file
    has no row and no column.
    """

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.sheet}: {self.message}"
        return f"{self.sheet} row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class SheetSpec:
    name: str
    # Canonical column name -> accepted header spellings (compared trimmed and lower-case).
    columns: dict[str, tuple[str, ...]]


def _spec(name: str, *columns: str, aliases: dict[str, tuple[str, ...]] | None = None):
    aliases = aliases or {}
    return SheetSpec(name, {c: (c.lower(), *aliases.get(c, ())) for c in columns})


MEDICATION_COST = _spec(
    "Medication_Cost", "Medication", "Cost_in$", aliases={"Cost_in$": ("cost",)}
)
DOCTOR = _spec("Doctor", "DoctorID", "Fname", "Lname", "Specialization", "Contact", "Email")
PATIENT = _spec("Patient", "PatientID", "Fname", "Lname", "Gender", "Age", "Contact", "Email")
APPOINTMENT = _spec(
    "Appointment",
    "AppointmentID",
    "PatientID",
    "DoctorID",
    "Date",
    "StartTime",
    "EndTime",
    "Status",
)
ATTENDANCE = _spec("PatientsAttendAppointments", "PatientID", "AppointmentID")
HISTORY = _spec(
    "MedicalHistory", "HistoryID", "PatientID", "Date", "Condition", "Surgeries", "Medication"
)
# In the order they are written (parents first).
SHEETS = (MEDICATION_COST, DOCTOR, PATIENT, APPOINTMENT, ATTENDANCE, HISTORY)
_SHEET_BY_KEY = {sheet_key(spec.name): spec.name for spec in SHEETS}


def sheet_for(filename: str) -> str | None:
    """The sheet a CSV file holds, from its name (`Patient.csv`, `patient$.csv`, …)."""
    return _SHEET_BY_KEY.get(sheet_key(PurePath(filename).stem))


# --- Typed rows ---------------------------------------------------------------------------------
@dataclass(slots=True)
class MedicationRow:
    row: int
    name: str
    unit_cost: Decimal


@dataclass(slots=True)
class DoctorRow:
    row: int
    code: str
    first_name: str
    last_name: str
    specialty: str
    phone: str
    email: str


@dataclass(slots=True)
class PatientRow:
    row: int
    mrn: str
    first_name: str
    last_name: str
    sex: str
    age: int | None
    phone: str
    email: str


@dataclass(slots=True)
class AppointmentRow:
    row: int
    legacy_id: str
    mrn: str
    code: str
    start: datetime.datetime  # aware, UTC
    end: datetime.datetime  # aware, UTC
    status: str
    start_us: int  # start and end in microseconds since the epoch
    end_us: int


@dataclass(slots=True)
class AttendanceRow:
    row: int
    mrn: str
    legacy_id: str  # the AppointmentID


@dataclass(slots=True)
class HistoryRow:
    row: int
    legacy_id: str
    mrn: str
    recorded_on: datetime.date
    condition: str  # "" when nothing
    surgery: str
    medication: str  # trimmed, as written


@dataclass
class Workbook:
    """Everything read from one workbook. Rows with a problem are left out of the lists;
    the `*_ids` sets hold every ID the sheet names (even on rows with a problem), so that a
    broken Patient row does not also make each of its appointments an "unknown patient"."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    # The file itself cannot be opened: there is nothing more to check.
    unreadable: bool = False
    # Sheets missing, or missing a column, or corrupt: references to their IDs are not
    # checked (each would be "unknown"); the problem itself already stops the import.
    unread: set[str] = field(default_factory=set)
    row_counts: dict[str, int] = field(default_factory=dict)
    medications: list[MedicationRow] = field(default_factory=list)
    doctors: list[DoctorRow] = field(default_factory=list)
    patients: list[PatientRow] = field(default_factory=list)
    appointments: list[AppointmentRow] = field(default_factory=list)
    attendances: list[AttendanceRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    doctor_ids: set[str] = field(default_factory=set)
    patient_ids: set[str] = field(default_factory=set)
    appointment_ids: set[str] = field(default_factory=set)


# --- Reading ---------------------------------------------------------------------------------
def read_workbook(path_or_file: Any, *, progress: Progress | None = None) -> Workbook:
    """Read and check every sheet. Never raises for bad content: problems are collected."""
    try:
        source, sheets, close = open_workbook(path_or_file)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        book = Workbook(source=str(getattr(path_or_file, "name", path_or_file)), unreadable=True)
        book.problems.append(Problem("Workbook", None, "", f"cannot be read: {exc}"))
        return book
    book = Workbook(source=source)
    tz = timezone.get_default_timezone()
    try:
        for spec in SHEETS:
            opener = sheets.get(sheet_key(spec.name))
            if opener is None:
                book.unread.add(spec.name)
                book.problems.append(
                    Problem(spec.name, None, "", f"missing sheet (or {spec.name}.csv)")
                )
                continue
            try:
                sheet = opener()
                columns = _columns(spec, sheet.header, book)
                if columns is None:
                    book.unread.add(spec.name)
                    continue
                _READERS[spec.name](book, _numbered(spec, sheet.rows, book, progress), columns, tz)
            except UnicodeDecodeError:
                book.unread.add(spec.name)
                message = "is not UTF-8 text: save it from Excel as “CSV UTF-8”"
                book.problems.append(Problem(spec.name, None, "", message))
            except Exception as exc:  # noqa: BLE001 - a corrupt sheet is a problem to report
                book.unread.add(spec.name)
                book.problems.append(Problem(spec.name, None, "", f"cannot be read: {exc}"))
    finally:
        close()
    return book


def _columns(
    spec: SheetSpec, header: list[str], book: Workbook
) -> dict[str, tuple[int, str]] | None:
    """Canonical column -> (index, the header as written), or None when one is missing."""
    found: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        for canonical, spellings in spec.columns.items():
            if key not in spellings:
                continue
            if canonical in found:
                first = found[canonical]
                book.problems.append(
                    Problem(
                        spec.name,
                        1,
                        name,
                        f"column {canonical} appears twice (columns {first[0] + 1} "
                        f"and {index + 1})",
                    )
                )
            else:
                found[canonical] = (index, name)
    missing = [c for c in spec.columns if c not in found]
    for column in missing:
        book.problems.append(Problem(spec.name, 1, column, "missing column"))
    return None if missing else found


def _numbered(
    spec: SheetSpec, rows: Iterable[tuple[Any, ...]], book: Workbook, progress: Progress | None
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Data rows with their spreadsheet row number; wholly empty rows are skipped."""
    count = 0
    for number, values in enumerate(rows, start=2):
        first = values[0] if values else None
        if not (type(first) is str and first and not first.isspace()) and not any(
            v is not None and (not isinstance(v, str) or v.strip()) for v in values
        ):
            continue
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"{spec.name}: {count:,} rows read")
        yield number, values
    book.row_counts[spec.name] = count


class _Cells:
    """Access a row's cells by canonical column name; remembers the header as written."""

    __slots__ = ("index", "label")

    def __init__(self, columns: dict[str, tuple[int, str]]) -> None:
        self.index = {c: i for c, (i, _) in columns.items()}
        self.label = {c: name for c, (_, name) in columns.items()}


def _reader(sheet: str):
    """Decorate a function that turns one row into a typed row (or raises `cells.CellError`)."""

    def decorate(parse):
        def read(book: Workbook, rows, columns, tz) -> None:
            layout = _Cells(columns)
            width = max(layout.index.values()) + 1
            seen: dict[str, int] = {}
            for number, values in rows:
                if len(values) < width:
                    values = (*values, *([None] * (width - len(values))))
                row = {c: values[i] for c, i in layout.index.items()}
                try:
                    parse(book, number, row, seen, tz)
                except cells.CellError as error:
                    book.problems.append(
                        Problem(
                            sheet,
                            number,
                            layout.label.get(error.column, error.column),
                            error.message,
                        )
                    )

        _READERS[sheet] = read
        return parse

    return decorate


_READERS: dict[str, Callable[..., None]] = {}


def _unique(seen: dict[str, int], key: str, number: int, column: str, shown: str) -> None:
    first = seen.setdefault(key, number)
    if first != number:
        raise cells.CellError(column, f"duplicate {shown} (first on row {first})")


@_reader(MEDICATION_COST.name)
def _medication(book, number, row, seen, tz) -> None:
    name = cells.required(row["Medication"], "Medication", "a medication name", MEDICATION_NAME_MAX)
    _unique(seen, name.lower(), number, "Medication", f"medication {name!r}")
    book.medications.append(MedicationRow(number, name, cells.money(row["Cost_in$"], "Cost_in$")))


@_reader(DOCTOR.name)
def _doctor(book, number, row, seen, tz) -> None:
    code = cells.required(row["DoctorID"], "DoctorID", "a DoctorID", ID_MAX)
    book.doctor_ids.add(code)
    _unique(seen, code, number, "DoctorID", f"DoctorID {code}")
    book.doctors.append(
        DoctorRow(
            number,
            code,
            cells.required(row["Fname"], "Fname", "a first name", NAME_MAX),
            cells.required(row["Lname"], "Lname", "a last name", NAME_MAX),
            cells.required(row["Specialization"], "Specialization", "a specialization", NAME_MAX),
            cells.limited(row["Contact"], "Contact", PHONE_MAX),
            cells.email(row["Email"], "Email"),
        )
    )


@_reader(PATIENT.name)
def _patient(book, number, row, seen, tz) -> None:
    mrn = cells.required(row["PatientID"], "PatientID", "a PatientID", ID_MAX)
    book.patient_ids.add(mrn)
    _unique(seen, mrn, number, "PatientID", f"PatientID {mrn}")
    book.patients.append(
        PatientRow(
            number,
            mrn,
            cells.required(row["Fname"], "Fname", "a first name", NAME_MAX),
            cells.required(row["Lname"], "Lname", "a last name", NAME_MAX),
            cells.sex(row["Gender"], "Gender"),
            cells.age(row["Age"], "Age"),
            cells.limited(row["Contact"], "Contact", PHONE_MAX),
            cells.email(row["Email"], "Email"),
        )
    )


@_reader(APPOINTMENT.name)
def _appointment(book, number, row, seen, tz) -> None:
    legacy_id = cells.required(
        row["AppointmentID"], "AppointmentID", "an AppointmentID", LEGACY_ID_MAX
    )
    book.appointment_ids.add(legacy_id)
    _unique(seen, legacy_id, number, "AppointmentID", f"AppointmentID {legacy_id}")
    mrn = cells.required(row["PatientID"], "PatientID", "a PatientID", ID_MAX)
    code = cells.required(row["DoctorID"], "DoctorID", "a DoctorID", ID_MAX)
    day = cells.date(row["Date"], "Date")
    start, start_us = cells.moment(day, cells.time(row["StartTime"], "StartTime"), "StartTime", tz)
    end, end_us = cells.moment(day, cells.time(row["EndTime"], "EndTime"), "EndTime", tz)
    if end_us <= start_us:
        when = "before" if end_us < start_us else "when"
        raise cells.CellError("EndTime", f"the appointment ends {when} it starts")
    status = cells.status(row["Status"], "Status")
    book.appointments.append(
        AppointmentRow(number, legacy_id, mrn, code, start, end, status, start_us, end_us)
    )


@_reader(ATTENDANCE.name)
def _attendance(book, number, row, seen, tz) -> None:
    mrn = cells.required(row["PatientID"], "PatientID", "a PatientID", ID_MAX)
    legacy_id = cells.required(
        row["AppointmentID"], "AppointmentID", "an AppointmentID", LEGACY_ID_MAX
    )
    # One attendance per appointment (Attendance.appointment is one-to-one).
    _unique(seen, legacy_id, number, "AppointmentID", f"attendance of appointment {legacy_id}")
    book.attendances.append(AttendanceRow(number, mrn, legacy_id))


@_reader(HISTORY.name)
def _history(book, number, row, seen, tz) -> None:
    legacy_id = cells.required(row["HistoryID"], "HistoryID", "a HistoryID", LEGACY_ID_MAX)
    _unique(seen, legacy_id, number, "HistoryID", f"HistoryID {legacy_id}")
    book.history.append(
        HistoryRow(
            number,
            legacy_id,
            cells.required(row["PatientID"], "PatientID", "a PatientID", ID_MAX),
            cells.date(row["Date"], "Date"),
            cells.limited(row["Condition"], "Condition", DESCRIPTION_MAX),
            cells.limited(row["Surgeries"], "Surgeries", DESCRIPTION_MAX),
            cells.limited(row["Medication"], "Medication", DESCRIPTION_MAX),
        )
    )
