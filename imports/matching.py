"""Which record a workbook's PatientID or DoctorID names, and when that is not safe to say.

A PatientID names the patient imported with it (`Patient.legacy_id`); failing that, the patient
whose MRN it is. That second match is always a **conflict**: the patient was registered in the
system (the workbook's ID is only an MRN the system happened to give someone else) or was
imported under another ID. A match whose name, sex or date of birth differ from the workbook's
row is a conflict too. A DoctorID that is the code of a doctor created in the system (not
imported) is a conflict when the names differ.

Nothing is written for a conflict, nor for the workbook's rows that refer to its ID, unless the
clerk resolves it: **keep both** (the workbook's person becomes a new record numbered from the
system's own sequence, and its rows follow it) or **same person** (the record is updated and
linked to the ID). Cost: two queries per `queries.CHUNK` IDs and kind; with conflicts, one
more per kind for what is shown beside them.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse

from doctors.models import Doctor
from imports.queries import load
from patients.ages import age_on, estimated_birth_date
from patients.models import MedicalHistory, Patient, Sex

SEX_LABELS = dict(Sex.choices)


class Resolution(StrEnum):
    SKIP = "skip"
    KEEP_BOTH = "keep_both"
    SAME_PERSON = "same_person"


RESOLUTION_LABELS = {
    Resolution.SKIP: "Not yet resolved: import nothing for this ID",
    Resolution.KEEP_BOTH: "Keep both: import the workbook's person as a new record",
    Resolution.SAME_PERSON: "Same person: update the record in the system",
}


# What was decided, as the page of a finished import says it.
DECIDED_LABELS = {
    Resolution.SKIP: "not resolved: nothing was imported for this ID",
    Resolution.KEEP_BOTH: "keep both: the workbook's person was imported as a new record",
    Resolution.SAME_PERSON: "same person: the record in the system was updated",
}


def conflict_id(kind: str, key: str) -> str:
    """How a resolution names its conflict: `patient:P0000005`, `doctor:D0001`."""
    return f"{kind}:{key}"


@dataclass
class Conflict:
    """A workbook ID that names a record in the system it may not be: both sides shown."""

    kind: str  # "patient" or "doctor"
    key: str  # the workbook's ID
    sheet: str
    row: int | None  # None when the ID is only referred to by other sheets
    reasons: list[str]
    workbook: dict[str, str]
    system: dict[str, str]
    record_id: int
    record_url: str
    options: list[str]  # what the clerk may choose, Resolution.SKIP first
    resolution: str = Resolution.SKIP
    referring_rows: int = 0  # the workbook's rows on other sheets that use the ID

    @property
    def id(self) -> str:
        return conflict_id(self.kind, self.key)

    def as_dict(self) -> dict[str, Any]:
        """As JSON for the upload's report: both sides as [label, value] pairs (a JSON
        object in PostgreSQL's jsonb would lose their order)."""
        return {
            **asdict(self),
            "id": self.id,
            "workbook": list(self.workbook.items()),
            "system": list(self.system.items()),
        }


# A resolution for every conflict of a kind that has none of its own: `patient:*`.
EVERY = "*"


def choose(conflict: Conflict, resolutions: Mapping[str, str]) -> str:
    """The clerk's resolution of `conflict` (its own, else the one for every conflict of its
    kind), if it is one of those offered; else skip."""
    chosen = resolutions.get(conflict.id) or resolutions.get(
        conflict_id(conflict.kind, EVERY), Resolution.SKIP
    )
    conflict.resolution = chosen if chosen in conflict.options else Resolution.SKIP
    return conflict.resolution


def same_name(a: Iterable[str], b: Iterable[str]) -> bool:
    """Names compared as a person would: case, accents and spacing aside."""

    def folded(parts: Iterable[str]) -> str:
        text = unicodedata.normalize("NFKD", " ".join(parts))
        text = "".join(c for c in text if not unicodedata.combining(c))
        return " ".join(text.casefold().split())

    return folded(a) == folded(b)


def date_of_birth(
    age: int | None, current: datetime.date | None, estimated: bool, today: datetime.date
) -> tuple[datetime.date | None, bool]:
    """The date of birth an `Age` gives, as (date, is_estimated).

    An Age is in years at the (unknown) time of export, so the estimate is 1 January of
    (this year − Age) (`patients.ages.estimated_birth_date`, the registration form's rule for
    its "Age (years)" too): the middle of the possible birth dates when the export is recent. A
    date of birth already on record is kept while it agrees with the Age — the person is Age
    or Age + 1 today, the workbook being up to a year old — so a precise date entered in the
    system is not overwritten by an estimate, and re-importing the same workbook next year
    changes nothing. A blank Age keeps what is on record.
    """
    if age is None:
        return current, estimated if current is not None else False
    if current is not None and age_on(current, today) in (age, age + 1):
        return current, estimated
    return estimated_birth_date(age, today), True


@dataclass(slots=True)
class PatientRecord:
    id: int
    mrn: str
    legacy_id: str | None
    first_name: str
    last_name: str
    sex: str
    phone: str
    email: str
    date_of_birth: datetime.date | None
    dob_is_estimated: bool


@dataclass(slots=True)
class DoctorRecord:
    id: int
    code: str
    legacy_id: str | None
    first_name: str
    last_name: str
    specialty_id: int
    phone: str
    email: str
    user_id: int | None


_PATIENT_COLUMNS = tuple(PatientRecord.__slots__)
_DOCTOR_COLUMNS = tuple(DoctorRecord.__slots__)


@dataclass
class Matches:
    """The records a workbook's IDs may name: by the ID they were imported with, and by
    MRN or code."""

    by_legacy: dict[str, Any] = field(default_factory=dict)
    by_number: dict[str, Any] = field(default_factory=dict)

    def find(self, key: str) -> tuple[Any | None, bool]:
        """(the record, whether it was imported with this very ID)."""
        record = self.by_legacy.get(key)
        if record is not None:
            return record, True
        return self.by_number.get(key), False

    def ids(self) -> set[str]:
        return set(self.by_legacy) | set(self.by_number)


def load_patients(keys: set[str]) -> Matches:
    found = Matches()
    for values in load(Patient, "legacy_id", _PATIENT_COLUMNS, keys):
        record = PatientRecord(*values)
        found.by_legacy[record.legacy_id] = record
    for values in load(Patient, "mrn", _PATIENT_COLUMNS, keys - set(found.by_legacy)):
        record = PatientRecord(*values)
        found.by_number[record.mrn] = record
    return found


def load_doctors(keys: set[str]) -> Matches:
    found = Matches()
    for values in load(Doctor, "legacy_id", _DOCTOR_COLUMNS, keys):
        record = DoctorRecord(*values)
        found.by_legacy[record.legacy_id] = record
    for values in load(Doctor, "code", _DOCTOR_COLUMNS, keys - set(found.by_legacy)):
        record = DoctorRecord(*values)
        found.by_number[record.code] = record
    return found


# --- Patients -------------------------------------------------------------------------------
def patient_reasons(
    record: PatientRecord, linked: bool, row: Any | None, today: datetime.date
) -> list[str]:
    """Why the workbook's patient may not be `record` (empty: it is). `row` is the Patient
    sheet's row, None when the ID is only referred to."""
    reasons = []
    if not linked:
        reasons.append(
            f"{record.mrn} is the MRN the system gave a patient registered in it, not imported"
            if record.legacy_id is None
            else f"{record.mrn} is the MRN of a patient imported as {record.legacy_id}"
        )
    if row is None:
        return reasons
    if not same_name((row.first_name, row.last_name), (record.first_name, record.last_name)):
        reasons.append("the name differs")
    if Sex.UNKNOWN not in (row.sex, record.sex) and row.sex != record.sex:
        reasons.append("the sex differs")
    born = record.date_of_birth
    if row.age is not None and born is not None and age_on(born, today) - row.age not in (0, 1):
        reasons.append("the date of birth differs")
    return reasons


def patient_conflict(
    record: PatientRecord,
    linked: bool,
    row: Any | None,
    key: str,
    reasons: list[str],
    today: datetime.date,
) -> Conflict:
    options = [Resolution.SKIP]
    if row is not None:
        options.append(Resolution.KEEP_BOTH)
    if linked or record.legacy_id is None:
        options.append(Resolution.SAME_PERSON)
    if row is None:
        workbook = {"PatientID": key, "Patient sheet": "no row: only other sheets use this ID"}
    else:
        age = "" if row.age is None else f"{row.age} (born about {today.year - row.age})"
        workbook = {
            "PatientID": key,
            "Name": f"{row.first_name} {row.last_name}",
            "Sex": SEX_LABELS[row.sex],
            "Age": age,
            "Phone": row.phone,
            "Email": row.email,
        }
    born = record.date_of_birth
    system = {
        "MRN": record.mrn,
        "Name": f"{record.first_name} {record.last_name}",
        "Sex": SEX_LABELS.get(record.sex, record.sex),
        "Date of birth": (
            "" if born is None else f"{born}{' (estimated)' if record.dob_is_estimated else ''}"
        ),
        "Phone": record.phone,
        "Email": record.email,
        "Came from": (
            "registered in the system"
            if record.legacy_id is None
            else f"imported as PatientID {record.legacy_id}"
        ),
    }
    return Conflict(
        kind="patient",
        key=key,
        sheet="Patient",
        row=None if row is None else row.row,
        reasons=reasons,
        workbook=workbook,
        system=system,
        record_id=record.id,
        record_url=reverse("patients:patient_detail", args=[record.id]),
        options=[str(o) for o in options],
    )


# --- Doctors --------------------------------------------------------------------------------
def doctor_reasons(record: DoctorRecord, linked: bool, row: Any) -> list[str]:
    """Why the workbook's doctor may not be `record` (empty: it is)."""
    if linked:
        return []
    if record.legacy_id is not None:
        return [f"{record.code} is the code of a doctor imported as {record.legacy_id}"]
    if not same_name((row.first_name, row.last_name), (record.first_name, record.last_name)):
        return [f"{record.code} is the code of a doctor created in the system, with another name"]
    return []


def doctor_conflict(
    record: DoctorRecord, row: Any, reasons: list[str], specialties: Mapping[int, str]
) -> Conflict:
    options = [Resolution.SKIP, Resolution.KEEP_BOTH]
    if record.legacy_id is None:
        options.append(Resolution.SAME_PERSON)
    return Conflict(
        kind="doctor",
        key=row.code,
        sheet="Doctor",
        row=row.row,
        reasons=reasons,
        workbook={
            "DoctorID": row.code,
            "Name": f"{row.first_name} {row.last_name}",
            "Specialty": row.specialty,
            "Phone": row.phone,
            "Email": row.email,
        },
        system={
            "Code": record.code,
            "Name": f"{record.first_name} {record.last_name}",
            "Specialty": specialties.get(record.specialty_id, ""),
            "Phone": record.phone,
            "Email": record.email,
            "Came from": (
                "created in the system"
                if record.legacy_id is None
                else f"imported as DoctorID {record.legacy_id}"
            ),
        },
        record_id=record.id,
        record_url=reverse("admin:doctors_doctor_change", args=[record.id]),
        options=[str(o) for o in options],
    )


# --- What is shown beside conflicts ----------------------------------------------------------
def describe(conflicts: list[Conflict], book: Any) -> None:
    """Add to each conflict how many of the workbook's rows use its ID, and what the system's
    record holds: a patient's chart entries and appointments, a doctor's login. One query per
    kind of conflict (none without conflicts)."""
    if not conflicts:
        return
    by_patient = Counter(
        row.mrn for rows in (book.appointments, book.attendances, book.history) for row in rows
    )
    by_doctor = Counter(row.code for row in book.appointments)
    patients = [c for c in conflicts if c.kind == "patient"]
    doctors = [c for c in conflicts if c.kind == "doctor"]
    if patients:
        entries = dict(
            MedicalHistory.objects.filter(patient_id__in=[c.record_id for c in patients])
            .values("patient_id")
            .annotate(n=Count("id"))
            .values_list("patient_id", "n")
        )
        for conflict in patients:
            conflict.referring_rows = by_patient[conflict.key]
            conflict.workbook["Other rows"] = (
                f"{by_patient[conflict.key]} (appointments, visits, history)"
            )
            conflict.system["Chart"] = f"{entries.get(conflict.record_id, 0)} history entries"
    if doctors:
        users = dict(
            get_user_model()
            .objects.filter(doctor__pk__in=[c.record_id for c in doctors])
            .values_list("doctor__pk", "username")
        )
        for conflict in doctors:
            conflict.referring_rows = by_doctor[conflict.key]
            conflict.workbook["Other rows"] = f"{by_doctor[conflict.key]} (appointments)"
            if conflict.record_id in users:
                conflict.system["Login"] = f"signs in as {users[conflict.record_id]}"
