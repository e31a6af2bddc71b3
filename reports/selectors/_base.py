"""What every report query shares: table names, the rows container and the fetch helpers."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from appointments.models import Appointment, Attendance
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    MedicationCost,
    Payment,
    ProcedureFee,
)
from core.dates import local_day_bounds
from doctors.models import Doctor, Specialty, WorkingHours
from patients.models import MedicalHistory, Patient
from patients.selectors import patients_by_mrn_or_name

# Table names come from the models so a renamed table cannot silently break a report.
T = {
    "appointment": Appointment._meta.db_table,
    "attendance": Attendance._meta.db_table,
    "doctor": Doctor._meta.db_table,
    "specialty": Specialty._meta.db_table,
    "working_hours": WorkingHours._meta.db_table,
    "patient": Patient._meta.db_table,
    "history": MedicalHistory._meta.db_table,
    "medication": MedicationCost._meta.db_table,
    "procedure": ProcedureFee._meta.db_table,
    "invoice": Invoice._meta.db_table,
    "line": InvoiceLine._meta.db_table,
    "payment": Payment._meta.db_table,
}


class BadPageKey(ValueError):
    """A page token (`after`) the report cannot read: an old or hand-edited link."""


@dataclass(frozen=True)
class ReportRows:
    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def fetch(
    sql: str,
    params: dict[str, Any],
    *,
    columns: tuple[str, ...],
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    if limit is not None:
        sql = f"{sql}\nLIMIT %(limit)s"
        params = {**params, "limit": limit}
    if stream:
        return ReportRows(columns, stream_rows(sql, params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return ReportRows(columns, cursor.fetchall())


def stream_rows(sql: str, params: dict[str, Any], chunk: int = 2000) -> Iterator[tuple[Any, ...]]:
    """Rows a chunk at a time from a server-side cursor, opened in a transaction: outside one
    the cursor is declared WITH HOLD and PostgreSQL runs the whole query before the first row
    (the CSV view and the `report` command both stream through here)."""
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def sql_list(values: Iterable[str]) -> str:
    """A literal list of our own enum values (never user input) for an IN clause."""
    return ", ".join(f"'{v}'" for v in values)


def period_clauses(
    column: str, date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[list[str], dict[str, Any]]:
    """WHERE clauses keeping `column` (a timestamptz) within the local days from..to."""
    clauses, params = [], {}
    if date_from is not None:
        clauses.append(f"{column} >= %(period_start)s")
        params["period_start"] = local_day_bounds(date_from)[0]
    if date_to is not None:
        clauses.append(f"{column} < %(period_end)s")
        params["period_end"] = local_day_bounds(date_to)[1]
    return clauses, params


def appointment_filter(
    date_from: datetime.date | None, date_to: datetime.date | None, doctor: Doctor | None
) -> tuple[str, dict[str, Any]]:
    clauses, params = period_clauses("a.start", date_from, date_to)
    if doctor is not None:
        clauses.append("a.doctor_id = %(doctor_id)s")
        params["doctor_id"] = doctor.pk
    return " AND ".join(clauses) or "TRUE", params


def patient_clause(text: str | None, alias: str = "p") -> tuple[str, dict[str, Any]]:
    """A condition on the patients table as `alias`: the MRN is `text` or the name holds it
    (patients.selectors.patients_by_mrn_or_name, compiled: the MRN's unique index or the
    trigram index on the full name), its parameters renamed for the reports' named style.
    On the row itself, not `id IN (...)`, so PostgreSQL may walk the MRN index and test each
    patient when many match, or gather the few that match and sort them. ("TRUE", {})
    without a text."""
    if not text:
        return "TRUE", {}
    query = patients_by_mrn_or_name(text).query
    sql, values = query.where.as_sql(query.get_compiler(connection=connection), connection)
    table = connection.ops.quote_name(Patient._meta.db_table)
    params: dict[str, Any] = {}

    def name(_match: re.Match) -> str:
        key = f"patient_{len(params)}"
        params[key] = values[len(params)]
        return f"%({key})s"

    sql = re.sub(r"(?<!%)%s", name, sql.replace(f"{table}.", f"{alias}."))
    return f"({sql})", params


def day_clauses(
    column: str, date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[list[str], dict[str, Any]]:
    """WHERE clauses keeping `column` (a local date, as the roll-ups hold) within from..to."""
    clauses, params = [], {}
    if date_from is not None:
        clauses.append(f"{column} >= %(day_from)s")
        params["day_from"] = date_from
    if date_to is not None:
        clauses.append(f"{column} <= %(day_to)s")
        params["day_to"] = date_to
    return clauses, params


def tz_param() -> dict[str, str]:
    return {"tz": settings.TIME_ZONE}


def hospital_currency() -> str:
    """The billing settings' currency, which report pages show amounts in (one query)."""
    return BillingSettings.load().currency
