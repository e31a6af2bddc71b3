"""The appointment reports: appointments, doctor-workload and appointment-patterns."""

from __future__ import annotations

import datetime

from django.db import connection

from appointments.models import AppointmentStatus
from appointments.rollups import DayCount, DayLeadCount, DoctorDayCount, DoctorLeadCount, HourCount
from doctors.models import Doctor, Specialty
from reports.selectors._base import (
    BadPageKey,
    ReportRows,
    T,
    appointment_filter,
    day_clauses,
    fetch,
    tz_param,
)

# Column names are a contract (issue 6): the listed ones first, in this order.
APPOINTMENTS_COLUMNS = (
    "appointment_id",
    "mrn",
    "patient_name",
    "doctor_code",
    "start",
    "end",
    "status",
    "doctor_name",
)
WORKLOAD_COLUMNS = (
    "doctor_code",
    "doctor_name",
    "specialty",
    "total",
    "completed",
    "cancelled",
    "no_show",
    "scheduled",
    "checked_in",
    "booked_hours",
    "working_hours",
    "utilization_pct",
)
PATTERNS_COLUMNS = (
    "dimension",
    "doctor_code",
    "doctor_name",
    "weekday",
    "weekday_name",
    "hour",
    "bookings",
    "completed",
    "cancelled",
    "no_show",
    "cancellation_pct",
    "no_show_pct",
    "median_lead_days",
    "average_lead_days",
)
_DOCTOR_DAY = DoctorDayCount._meta.db_table
_DAY = DayCount._meta.db_table
_HOUR = HourCount._meta.db_table
_DAY_LEAD = DayLeadCount._meta.db_table
_DOCTOR_LEAD = DoctorLeadCount._meta.db_table
_CODE_LENGTH = Doctor._meta.get_field("code").max_length
_STATUSES = ("scheduled", "checked_in", "completed", "cancelled", "no_show")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def appointment_after(token: str | None) -> tuple[datetime.datetime, int] | None:
    """The (start, id) a page token stands for: the UTC start in ISO and the id, `_` between."""
    if token is None:
        return None
    start, _, pk = token.rpartition("_") if isinstance(token, str) else ("", "", "")
    try:
        moment = datetime.datetime.fromisoformat(start)
        number = int(pk)
    except ValueError:
        raise BadPageKey("Not a page of this report.") from None
    if moment.tzinfo is None or not 0 < number < 2**63 or not pk.isdigit():
        raise BadPageKey("Not a page of this report.")
    return moment, number


def appointments_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    keyed: bool = False,
) -> ReportRows:
    """Appointments in the period, oldest first, paged by (start, id). `appointment_id` is
    the legacy AppointmentID of an imported appointment, the database id otherwise. One
    query that stops after `limit` rows of the index on (start, id), or (doctor, start, id).
    `specialty`: appointments with its doctors only."""
    where, params = appointment_filter(date_from, date_to, doctor)
    if specialty is not None:
        where += " AND d.specialty_id = %(specialty_id)s"
        params["specialty_id"] = specialty.pk
    key = appointment_after(after)
    if key is not None:
        where += " AND (a.start, a.id) > (%(after_start)s, %(after_id)s)"
        params.update(after_start=key[0], after_id=key[1])
    token = (
        """, to_char(a.start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
               || '_' || a.id"""
        if keyed
        else ""
    )
    sql = f"""
        SELECT COALESCE(a.legacy_id, a.id::text),
               p.mrn,
               trim(p.first_name || ' ' || p.last_name),
               d.code,
               to_char(a.start AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'),
               to_char(a."end" AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'),
               a.status,
               trim(d.first_name || ' ' || d.last_name){token}
        FROM {T["appointment"]} a
        JOIN {T["patient"]} p ON p.id = a.patient_id
        JOIN {T["doctor"]} d ON d.id = a.doctor_id
        WHERE {where}
        ORDER BY a.start, a.id"""
    return fetch(
        sql, {**params, **tz_param()}, columns=APPOINTMENTS_COLUMNS, limit=limit, stream=stream
    )


def appointment_status_counts(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status in the period, zeros included. One query over
    the roll-up: the hospital's days, one doctor's, or those of a specialty's doctors."""
    clauses, params = day_clauses("r.day", date_from, date_to)
    table = _DAY
    if doctor is not None:
        table = _DOCTOR_DAY
        clauses.append("r.doctor_id = %(doctor_id)s")
        params["doctor_id"] = doctor.pk
    if specialty is not None:
        table = _DOCTOR_DAY
        clauses.append(
            f"r.doctor_id IN (SELECT id FROM {T['doctor']} WHERE specialty_id = %(specialty_id)s)"
        )
        params["specialty_id"] = specialty.pk
    sums = ", ".join(f"COALESCE(sum(r.{s}), 0)" for s in _STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sums} FROM {table} r WHERE {' AND '.join(clauses) or 'TRUE'}", params
        )
        counts = dict(zip(_STATUSES, cursor.fetchone(), strict=True))
    return [(s.value, s.label, counts[s.value]) for s in AppointmentStatus]


# --- doctor-workload ----------------------------------------------------------------------


def doctor_after(token: str | None) -> str | None:
    """The doctor code a page token stands for (the token is the last code shown)."""
    if token is None:
        return None
    if not isinstance(token, str) or not 0 < len(token) <= _CODE_LENGTH or not token.isprintable():
        raise BadPageKey("Not a page of this report.")
    return token


def doctor_workload_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    keyed: bool = False,
) -> ReportRows:
    """Appointments per doctor by status, booked hours and utilization, by doctor code. One
    query: doctors in code order (unique index), each with its roll-up days of the period and
    its working hours over those days, so a page costs its doctors × the period's days.

    booked_hours: the length of the doctor's scheduled, checked-in and completed appointments
    starting in the period (cancelled and no-show free the time). working_hours: the doctor's
    weekly working hours laid over every day of the period, each block counted on the days
    of its weekday its validity covers (counted, not listed: the first such day, then one a
    week, so a year's period costs as much as a week's); time off is not deducted. utilization_pct:
    booked / working, empty when the doctor has no working hours in the period. Without a
    `from` or `to`, the period runs from the first to the last appointment day in the data
    (the roll-up's first and last day: two index probes). Doctors listed: the active ones,
    and inactive ones with appointments in the period.
    """
    params: dict = {"day_from": date_from, "day_to": date_to}
    doctor_clause = ""
    bounds = f"SELECT min(day) AS first, max(day) AS last FROM {_DAY}"
    if doctor is not None:
        doctor_clause = "AND d.id = %(doctor_id)s"
        params["doctor_id"] = doctor.pk
        bounds = f"""SELECT min(day) AS first, max(day) AS last FROM {_DOCTOR_DAY}
                     WHERE doctor_id = %(doctor_id)s"""
    if date_from is not None and date_to is not None:
        period = "SELECT %(day_from)s::date AS d0, %(day_to)s::date AS d1"
    else:
        period = f"""SELECT COALESCE(%(day_from)s::date, b.first) AS d0,
                            COALESCE(%(day_to)s::date, b.last) AS d1
                     FROM ({bounds}) b"""
    if specialty is not None:
        doctor_clause += " AND d.specialty_id = %(specialty_id)s"
        params["specialty_id"] = specialty.pk
    code = doctor_after(after)
    if code is not None:
        doctor_clause += " AND d.code > %(after_code)s"
        params["after_code"] = code
    sums = ", ".join(f"COALESCE(sum(r.{s}), 0) AS {s}" for s in _STATUSES)
    total = " + ".join(f"c.{s}" for s in _STATUSES)
    sql = f"""
        WITH period AS MATERIALIZED ({period})
        SELECT d.code,
               trim(d.first_name || ' ' || d.last_name),
               s.name,
               {total},
               c.completed, c.cancelled, c.no_show, c.scheduled, c.checked_in,
               round(c.booked_us / 3600000000.0, 2),
               round(COALESCE(h.minutes, 0) / 60, 2),
               CASE WHEN h.minutes > 0
                    THEN round(100 * (c.booked_us / 60000000.0) / h.minutes, 1) END
               {", d.code" if keyed else ""}
        FROM {T["doctor"]} d
        JOIN {T["specialty"]} s ON s.id = d.specialty_id
        CROSS JOIN period
        CROSS JOIN LATERAL (
            SELECT {sums}, COALESCE(sum(r.booked_us), 0) AS booked_us
            FROM {_DOCTOR_DAY} r
            WHERE r.doctor_id = d.id AND r.day BETWEEN period.d0 AND period.d1
        ) c
        CROSS JOIN LATERAL (
            SELECT sum(EXTRACT(EPOCH FROM wh.end_time - wh.start_time) * n.days) / 60 AS minutes
            FROM {T["working_hours"]} wh
            CROSS JOIN LATERAL (
                SELECT GREATEST(period.d0, wh.valid_from) AS lo,
                       LEAST(period.d1, COALESCE(wh.valid_until, period.d1)) AS hi
            ) b
            CROSS JOIN LATERAL (
                SELECT b.lo + mod(wh.weekday - EXTRACT(ISODOW FROM b.lo)::int + 8, 7) AS first
            ) f
            CROSS JOIN LATERAL (
                SELECT CASE WHEN f.first <= b.hi THEN (b.hi - f.first) / 7 + 1 ELSE 0 END AS days
            ) n
            WHERE wh.doctor_id = d.id AND period.d0 <= period.d1
        ) h
        WHERE (d.is_active OR {total} > 0) {doctor_clause}
        ORDER BY d.code"""
    return fetch(sql, params, columns=WORKLOAD_COLUMNS, limit=limit, stream=stream)
