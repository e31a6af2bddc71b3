"""What an import changes in records that already exist, field by field.

Every record an import updates gives one `Change`: the audit log gets a row for it with each
changed field's value before and after (as an edit by hand does; all of them in one INSERT),
and the check page lists them all, sheet by sheet and a page at a time, before → after, those
that need care first (`imports.risks`: a doctor who signs in, a patient with visits or
history). Values are kept as a person reads them: names and workbook IDs rather than row ids,
times in the hospital's zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from appointments.models import Appointment
from core import audit
from imports.queries import from_micros

# Changes per sheet in `ChangeLog.report` (the upload page keeps them all: UploadChange).
CHANGES_SHOWN = 200
# The order of the sheets in the list of changes: people first, where updates need most care.
SHEET_ORDER = (
    "Doctor",
    "Patient",
    "Appointment",
    "PatientsAttendAppointments",
    "MedicalHistory",
    "Medication_Cost",
)


def shown(value: Any) -> Any:
    """A field's value as the check page and the audit log show it (JSON-safe)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


@dataclass(slots=True)
class Change:
    """One record the import updates: `fields` maps a model field to (before, after)."""

    sheet: str
    key: str  # the workbook's ID of the record, as the clerk knows it
    model: type[models.Model]
    pk: int
    label: str
    fields: dict[str, tuple[Any, Any]]
    patient_id: int | None = None
    resolution: str = ""  # the clerk's decision, when it resolved a conflict
    note: str = ""  # what the clerk should know
    row: int | None = None  # the workbook's row
    user_id: int | None = None  # a doctor's login
    # Why the update needs care, as a badge (`risk`) and a sentence (`why`): imports.risks.
    risk: str = ""
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        """What the check page shows of it."""
        meta = self.model._meta
        return {
            "key": self.key,
            "label": self.label,
            "row": self.row,
            "note": "; ".join(n for n in (self.resolution, self.note) if n),
            "risk": self.risk,
            "why": self.why,
            "user_id": self.user_id,
            "fields": [
                [str(meta.get_field(name).verbose_name).capitalize(), before, after]
                for name, (before, after) in self.fields.items()
            ],
        }


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Field -> (before, after), shown as a person reads them, for the fields that differ."""
    return {
        name: (shown(before.get(name)), shown(value))
        for name, value in after.items()
        if before.get(name) != value
    }


@dataclass
class ChangeLog:
    """The changes of one import, in the order the plan found them."""

    changes: list[Change] = field(default_factory=list)
    per_sheet: dict[str, int] = field(default_factory=dict)

    def add(self, change: Change) -> None:
        if change.fields:
            self.changes.append(change)
            self.per_sheet[change.sheet] = self.per_sheet.get(change.sheet, 0) + 1

    def ordered(self) -> list[Change]:
        """Every change as the check page lists them: sheet by sheet (`SHEET_ORDER`), those
        that need care first, then in the workbook's order."""
        rank = {sheet: index for index, sheet in enumerate(SHEET_ORDER)}
        return sorted(self.changes, key=lambda c: (rank.get(c.sheet, len(rank)), not c.risk))

    def report(self) -> list[dict[str, Any]]:
        """Per sheet (`ordered`): how many records change, how many of them need care, and
        the first `CHANGES_SHOWN` of them."""
        listed: dict[str, list[dict[str, Any]]] = {}
        risky: dict[str, int] = {}
        for change in self.ordered():
            rows = listed.setdefault(change.sheet, [])
            risky[change.sheet] = risky.get(change.sheet, 0) + bool(change.risk)
            if len(rows) < CHANGES_SHOWN:
                rows.append(change.as_dict())
        return [
            {
                "sheet": sheet,
                "total": self.per_sheet[sheet],
                "risky": risky[sheet],
                "shown": rows,
            }
            for sheet, rows in listed.items()
        ]


def appointment_change(row: Any, current: tuple, keys: tuple[dict, dict]) -> Change:
    """An appointment's change: `current` is (legacy id, id, patient id, doctor id, start,
    end as microseconds, status); `keys` map patient and doctor ids to workbook IDs."""
    patients, doctors = keys
    before = {
        "patient": patients.get(current[2], f"#{current[2]}"),
        "doctor": doctors.get(current[3], f"#{current[3]}"),
        "start": from_micros(current[4]),
        "end": from_micros(current[5]),
        "status": current[6],
    }
    after = {
        "patient": row.mrn,
        "doctor": row.code,
        "start": row.start,
        "end": row.end,
        "status": row.status,
    }
    return Change(
        "Appointment",
        row.legacy_id,
        Appointment,
        current[1],
        f"Appointment {row.legacy_id}",
        diff(before, after),
        patient_id=current[2],
        row=row.row,
    )


def audit_entries(changes: Iterable[Change], *, source: str) -> Iterator[audit.AuditEntry]:
    """One UPDATE audit entry per change (`audit.audit_record_stream` writes them all with one
    COPY).
    The object is an unsaved instance holding only its id (and its patient's): nothing is
    read from the database for it."""
    for change in changes:
        obj = change.model(pk=change.pk)
        if change.patient_id is not None and hasattr(obj, "patient_id"):
            obj.patient_id = change.patient_id
        values = {
            name: {"before": before, "after": after}
            for name, (before, after) in change.fields.items()
        }
        where = f"{change.sheet} row {change.row}" if change.row else change.sheet
        values["imported_from"] = {"before": None, "after": f"{where} of {source}"}
        if change.resolution:
            values["resolution"] = {"before": None, "after": change.resolution}
        yield audit.AuditEntry(
            action=audit.Action.UPDATE, obj=obj, changes=values, object_repr=change.label
        )
