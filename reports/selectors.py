"""The reports' queries: one function per report, each returning its columns and rows.

Every report is one SQL statement (aggregates, `FILTER`, `GROUPING SETS`, `generate_series`)
whatever the size of the data; nothing loops over rows in Python. Rows are tuples in column
order: money is `Decimal` with 2 places, rates and hours `Decimal` with 1 or 2, counts `int`.

`limit` caps the rows fetched (the pages show the first rows; the CSV and the command get all),
and `stream=True` reads through a server-side cursor in chunks, so a CSV of half a million
appointments never sits in memory at once.

Local time is the hospital's (`settings.TIME_ZONE`): a period `from`..`to` covers whole local
days, and months, weekdays and hours are taken `AT TIME ZONE` in the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from appointments.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Attendance
from billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    MedicationCost,
    Payment,
    ProcedureFee,
)
from doctors.models import Doctor, Specialty, WorkingHours
from hms.selectors import local_day_bounds
from patients.models import HistoryKind, MedicalHistory, Patient, Sex

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
PATIENT_HEALTH_COLUMNS = (
    "mrn",
    "patient_name",
    "distinct_medications",
    "distinct_surgeries",
    "medications",
    "surgeries",
)
PATIENT_BILLS_COLUMNS = (
    "mrn",
    "patient_name",
    "medication_total",
    "surgery_total",
    "consultation_total",
    "total",
    "unpriced_medications",
)
DEMOGRAPHICS_COLUMNS = ("age_band", "female", "male", "other", "unknown", "total")
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
REVENUE_COLUMNS = (
    "month",
    "invoiced",
    "paid",
    "outstanding",
    "medication",
    "surgery",
    "consultation",
    "minimum_charge",
    "other",
    "tax",
)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Demographics: five-year bands 0-4 … 85-89, then 90+ (band 18); -1 is "date of birth unknown".
AGE_BAND_TOP = 18
ISSUED = (InvoiceStatus.ISSUED.value, InvoiceStatus.PAID.value)


@dataclass(frozen=True)
class ReportRows:
    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def _fetch(
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
        return ReportRows(columns, _stream(sql, params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return ReportRows(columns, cursor.fetchall())


def _stream(sql: str, params: dict[str, Any], chunk: int = 2000) -> Iterator[tuple[Any, ...]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def _sql_list(values: Iterable[str]) -> str:
    """A literal list of our own enum values (never user input) for an IN clause."""
    return ", ".join(f"'{v}'" for v in values)


def _period(
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


def _appointment_filter(
    date_from: datetime.date | None, date_to: datetime.date | None, doctor: Doctor | None
) -> tuple[str, dict[str, Any]]:
    clauses, params = _period("a.start", date_from, date_to)
    if doctor is not None:
        clauses.append("a.doctor_id = %(doctor_id)s")
        params["doctor_id"] = doctor.pk
    return " AND ".join(clauses) or "TRUE", params


def _tz() -> dict[str, str]:
    return {"tz": settings.TIME_ZONE}


# --- appointments -------------------------------------------------------------------------


def appointments_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Appointments in the period, oldest first. `appointment_id` is the legacy AppointmentID
    of an imported appointment, the database id otherwise. One query (index on start)."""
    where, params = _appointment_filter(date_from, date_to, doctor)
    sql = f"""
        SELECT COALESCE(a.legacy_id, a.id::text),
               p.mrn,
               trim(p.first_name || ' ' || p.last_name),
               d.code,
               to_char(a.start AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'),
               to_char(a."end" AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'),
               a.status,
               trim(d.first_name || ' ' || d.last_name)
        FROM {T["appointment"]} a
        JOIN {T["patient"]} p ON p.id = a.patient_id
        JOIN {T["doctor"]} d ON d.id = a.doctor_id
        WHERE {where}
        ORDER BY a.start, d.code, a.id"""
    return _fetch(
        sql, {**params, **_tz()}, columns=APPOINTMENTS_COLUMNS, limit=limit, stream=stream
    )


def appointment_status_counts(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status in the period, zeros included. One query."""
    where, params = _appointment_filter(date_from, date_to, doctor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.status, count(*) FROM {T['appointment']} a WHERE {where} GROUP BY a.status",
            params,
        )
        counts = dict(cursor.fetchall())
    return [(s.value, s.label, counts.get(s.value, 0)) for s in AppointmentStatus]


# --- doctor-workload ----------------------------------------------------------------------


def doctor_workload_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Appointments per doctor by status, booked hours and utilization. One query.

    booked_hours: the length of the doctor's scheduled, checked-in and completed appointments
    starting in the period (cancelled and no-show free the time). working_hours: the doctor's
    weekly working hours laid over every day of the period (`generate_series`), each block
    counted on the days its validity covers; time off is not deducted. utilization_pct:
    booked / working, empty when the doctor has no working hours in the period. Without a
    `from` or `to`, the period runs from the first to the last appointment day in the data.
    Doctors listed: the active ones, and inactive ones with appointments in the period.
    """
    where, params = _appointment_filter(date_from, date_to, doctor)
    doctor_clause = "AND d.id = %(doctor_id)s" if doctor is not None else ""
    wh_clause = "AND wh.doctor_id = %(doctor_id)s" if doctor is not None else ""
    statuses = ", ".join(
        f"count(*) FILTER (WHERE status = '{s}') AS {s}"
        for s in ("completed", "cancelled", "no_show", "scheduled", "checked_in")
    )
    sql = f"""
        WITH appt AS (
            SELECT a.doctor_id, a.status, a.start, a."end",
                   (a.start AT TIME ZONE %(tz)s)::date AS day
            FROM {T["appointment"]} a
            WHERE {where}
        ),
        period AS (
            SELECT COALESCE(%(day_from)s::date, (SELECT min(day) FROM appt)) AS d0,
                   COALESCE(%(day_to)s::date, (SELECT max(day) FROM appt)) AS d1
        ),
        counts AS (
            SELECT doctor_id, count(*) AS total, {statuses},
                   COALESCE(sum(EXTRACT(EPOCH FROM "end" - start))
                       FILTER (WHERE status IN ({_sql_list(ACTIVE_STATUSES)})), 0) / 60
                       AS booked_minutes
            FROM appt
            GROUP BY doctor_id
        ),
        hours AS (
            SELECT wh.doctor_id,
                   sum(EXTRACT(EPOCH FROM wh.end_time - wh.start_time)) / 60 AS minutes
            FROM period
            CROSS JOIN LATERAL generate_series(0, period.d1 - period.d0) AS g(i)
            JOIN {T["working_hours"]} wh
              ON wh.weekday = EXTRACT(ISODOW FROM period.d0 + g.i)::int - 1
             AND wh.valid_from <= period.d0 + g.i
             AND (wh.valid_until IS NULL OR wh.valid_until >= period.d0 + g.i)
            WHERE TRUE {wh_clause}
            GROUP BY wh.doctor_id
        )
        SELECT d.code,
               trim(d.first_name || ' ' || d.last_name),
               s.name,
               COALESCE(c.total, 0),
               COALESCE(c.completed, 0),
               COALESCE(c.cancelled, 0),
               COALESCE(c.no_show, 0),
               COALESCE(c.scheduled, 0),
               COALESCE(c.checked_in, 0),
               round(COALESCE(c.booked_minutes, 0) / 60, 2),
               round(COALESCE(h.minutes, 0) / 60, 2),
               CASE WHEN h.minutes > 0
                    THEN round(100 * COALESCE(c.booked_minutes, 0) / h.minutes, 1) END
        FROM {T["doctor"]} d
        JOIN {T["specialty"]} s ON s.id = d.specialty_id
        LEFT JOIN counts c ON c.doctor_id = d.id
        LEFT JOIN hours h ON h.doctor_id = d.id
        WHERE (d.is_active OR c.doctor_id IS NOT NULL) {doctor_clause}
        ORDER BY d.last_name, d.first_name, d.code"""
    params.update(_tz(), day_from=date_from, day_to=date_to)
    return _fetch(sql, params, columns=WORKLOAD_COLUMNS, limit=limit, stream=stream)


# --- patient-health -----------------------------------------------------------------------


def patient_health_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Distinct medications and surgeries per patient with any history recorded in the period
    (`recorded_on`). Names count once whatever their case or surrounding blanks; a medication
    linked to the price list counts under its price-list name. One query."""
    clauses, params = [], {}
    if date_from is not None:
        clauses.append("h.recorded_on >= %(date_from)s")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("h.recorded_on <= %(date_to)s")
        params["date_to"] = date_to
    where = " AND ".join(clauses) or "TRUE"
    med = f"h.kind = '{HistoryKind.MEDICATION.value}'"
    surg = f"h.kind = '{HistoryKind.SURGERY.value}'"
    med_name = "lower(trim(COALESCE(mc.name, h.description)))"
    surg_name = "lower(trim(h.description))"
    sql = f"""
        SELECT p.mrn,
               trim(p.first_name || ' ' || p.last_name),
               count(DISTINCT {med_name}) FILTER (WHERE {med}),
               count(DISTINCT {surg_name}) FILTER (WHERE {surg}),
               COALESCE(string_agg(DISTINCT {med_name}, '; ') FILTER (WHERE {med}), ''),
               COALESCE(string_agg(DISTINCT {surg_name}, '; ') FILTER (WHERE {surg}), '')
        FROM {T["history"]} h
        JOIN {T["patient"]} p ON p.id = h.patient_id
        LEFT JOIN {T["medication"]} mc ON mc.id = h.medication_id
        WHERE {where}
        GROUP BY p.id
        ORDER BY p.mrn"""
    return _fetch(sql, params, columns=PATIENT_HEALTH_COLUMNS, limit=limit, stream=stream)


# --- patient-bills ------------------------------------------------------------------------

# The billing rule of DESIGN.md, set-based for every patient. A history entry or attendance is
# billed while an active invoice line carries its source key (`history:<id>`, `attendance:<id>`).
_BILLS_CTE = f"""
    WITH prices AS (
        SELECT DISTINCT ON (lower(trim(name))) lower(trim(name)) AS key, unit_cost
        FROM {T["medication"]}
        ORDER BY lower(trim(name)), id
    ),
    fees AS (
        SELECT DISTINCT ON (lower(trim(name))) lower(trim(name)) AS key, fee
        FROM {T["procedure"]}
        ORDER BY lower(trim(name)), id
    ),
    billed AS (
        SELECT source_key FROM {T["line"]} WHERE is_active AND source_key IS NOT NULL
    ),
    unbilled AS (
        SELECT h.* FROM {T["history"]} h
        WHERE h.is_billable
          AND h.kind IN ('{HistoryKind.MEDICATION.value}', '{HistoryKind.SURGERY.value}')
          AND NOT EXISTS (SELECT 1 FROM billed b WHERE b.source_key = 'history:' || h.id)
    ),
    meds AS (
        SELECT u.patient_id,
               sum(COALESCE(linked.unit_cost, named.unit_cost, 0)) AS total,
               count(*) FILTER (WHERE linked.id IS NULL AND named.key IS NULL) AS unpriced
        FROM unbilled u
        LEFT JOIN {T["medication"]} linked ON linked.id = u.medication_id
        LEFT JOIN prices named
          ON u.medication_id IS NULL AND named.key = lower(trim(u.description))
        WHERE u.kind = '{HistoryKind.MEDICATION.value}'
        GROUP BY u.patient_id
    ),
    surgeries AS (
        SELECT u.patient_id, sum(COALESCE(f.fee, %(default_surgery_fee)s)) AS total
        FROM unbilled u
        LEFT JOIN fees f ON f.key = lower(trim(u.description))
        WHERE u.kind = '{HistoryKind.SURGERY.value}'
        GROUP BY u.patient_id
    ),
    consultations AS (
        SELECT at.patient_id, sum(d.consultation_fee) AS total
        FROM {T["attendance"]} at
        JOIN {T["appointment"]} a ON a.id = at.appointment_id
        JOIN {T["doctor"]} d ON d.id = a.doctor_id
        WHERE NOT EXISTS (SELECT 1 FROM billed b WHERE b.source_key = 'attendance:' || at.id)
        GROUP BY at.patient_id
    ),
    bills AS (
        SELECT p.id, p.mrn, trim(p.first_name || ' ' || p.last_name) AS patient_name,
               COALESCE(m.total, 0)::numeric(12, 2) AS medication_total,
               COALESCE(s.total, 0)::numeric(12, 2) AS surgery_total,
               COALESCE(c.total, 0)::numeric(12, 2) AS consultation_total,
               COALESCE(m.unpriced, 0) AS unpriced_medications
        FROM {T["patient"]} p
        LEFT JOIN meds m ON m.patient_id = p.id
        LEFT JOIN surgeries s ON s.patient_id = p.id
        LEFT JOIN consultations c ON c.patient_id = p.id
    ),
    totals AS (
        SELECT bills.*,
               CASE WHEN medication_total + surgery_total + consultation_total = 0
                    THEN %(minimum_charge)s::numeric(12, 2)
                    ELSE medication_total + surgery_total + consultation_total
               END AS total
        FROM bills
    )"""


def _bill_params() -> dict[str, Decimal]:
    config = BillingSettings.load()
    return {
        "default_surgery_fee": config.default_surgery_fee,
        "minimum_charge": config.minimum_charge,
    }


def patient_bills_report(*, limit: int | None = None, stream: bool = False) -> ReportRows:
    """What each patient's next invoice would total now, by the billing rule, for every
    patient. Two queries: the billing settings, then one statement of hash joins and
    anti-joins (the partial unique index on active source keys serves the billed check)."""
    sql = f"""{_BILLS_CTE}
        SELECT mrn, patient_name, medication_total, surgery_total, consultation_total, total,
               unpriced_medications
        FROM totals
        ORDER BY mrn"""
    return _fetch(sql, _bill_params(), columns=PATIENT_BILLS_COLUMNS, limit=limit, stream=stream)


@dataclass(frozen=True)
class BillTotals:
    patients: int
    medication_total: Decimal
    surgery_total: Decimal
    consultation_total: Decimal
    total: Decimal
    minimum_charges: int
    unpriced_medications: int


def patient_bill_totals() -> BillTotals:
    """The sums of the patient-bills report over all patients. Two queries."""
    sql = f"""{_BILLS_CTE}
        SELECT count(*),
               COALESCE(sum(medication_total), 0)::numeric(12, 2),
               COALESCE(sum(surgery_total), 0)::numeric(12, 2),
               COALESCE(sum(consultation_total), 0)::numeric(12, 2),
               COALESCE(sum(total), 0)::numeric(12, 2),
               count(*) FILTER (
                   WHERE medication_total + surgery_total + consultation_total = 0),
               COALESCE(sum(unpriced_medications), 0)::int
        FROM totals"""
    with connection.cursor() as cursor:
        cursor.execute(sql, _bill_params())
        return BillTotals(*cursor.fetchone())


# --- demographics -------------------------------------------------------------------------


def demographics_report(
    *, today: datetime.date | None = None, limit: int | None = None, stream: bool = False
) -> ReportRows:
    """Active patients by five-year age band (age today, in the hospital's zone) and sex, every
    band listed even when empty, then those without a date of birth. One query."""
    sexes = ", ".join(
        f"count(*) FILTER (WHERE sex = '{s}') AS {s}"
        for s in (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN)
    )
    sql = f"""
        WITH ages AS (
            SELECT p.sex,
                   CASE WHEN p.date_of_birth IS NULL THEN -1
                        ELSE LEAST(GREATEST(
                            date_part('year', age(%(today)s::date, p.date_of_birth))::int, 0
                        ) / 5, {AGE_BAND_TOP})
                   END AS band
            FROM {T["patient"]} p
            WHERE p.is_active
        ),
        counts AS (
            SELECT band, {sexes}, count(*) AS total FROM ages GROUP BY band
        )
        SELECT CASE WHEN b.band = -1 THEN 'unknown'
                    WHEN b.band = {AGE_BAND_TOP} THEN '{AGE_BAND_TOP * 5}+'
                    ELSE (b.band * 5)::text || '-' || (b.band * 5 + 4)::text END,
               COALESCE(c.female, 0), COALESCE(c.male, 0), COALESCE(c.other, 0),
               COALESCE(c.unknown, 0), COALESCE(c.total, 0)
        FROM generate_series(-1, {AGE_BAND_TOP}) AS b(band)
        LEFT JOIN counts c ON c.band = b.band
        ORDER BY b.band = -1, b.band"""
    params = {"today": today or timezone.localdate()}
    return _fetch(sql, params, columns=DEMOGRAPHICS_COLUMNS, limit=limit, stream=stream)


# --- appointment-patterns -----------------------------------------------------------------


def appointment_patterns_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Bookings in the period grouped four ways in one `GROUPING SETS` query, told apart by
    `dimension`: `all` (one row), `doctor`, `weekday`, `weekday_hour` (the heatmap; only
    cells with bookings). Weekday (0 = Monday) and hour are local. Rates are percentages of
    all bookings in the group. Lead time is start − booking time in days, over appointments
    booked in the system: imported ones carry no booking time and are left out of it, and a
    booking recorded after its start counts as 0.
    """
    where, params = _appointment_filter(date_from, date_to, doctor)
    names = ", ".join(f"'{n}'" for n in WEEKDAY_NAMES)
    sql = f"""
        WITH a AS (
            SELECT a.doctor_id, a.status,
                   EXTRACT(ISODOW FROM a.start AT TIME ZONE %(tz)s)::int - 1 AS weekday,
                   EXTRACT(HOUR FROM a.start AT TIME ZONE %(tz)s)::int AS hour,
                   CASE WHEN a.legacy_id IS NULL
                        THEN GREATEST(EXTRACT(EPOCH FROM a.start - a.created_at), 0) / 86400
                   END AS lead_days
            FROM {T["appointment"]} a
            WHERE {where}
        ),
        g AS (
            SELECT GROUPING(doctor_id, weekday, hour) AS gset, doctor_id, weekday, hour,
                   count(*) AS bookings,
                   count(*) FILTER (WHERE status = 'completed') AS completed,
                   count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                   count(*) FILTER (WHERE status = 'no_show') AS no_show,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_days) AS median_lead,
                   avg(lead_days) AS average_lead
            FROM a
            GROUP BY GROUPING SETS ((), (doctor_id), (weekday), (weekday, hour))
        )
        SELECT CASE g.gset WHEN 7 THEN 'all' WHEN 3 THEN 'doctor' WHEN 5 THEN 'weekday'
                           ELSE 'weekday_hour' END,
               d.code, trim(d.first_name || ' ' || d.last_name),
               g.weekday, (ARRAY[{names}])[g.weekday + 1], g.hour,
               g.bookings, g.completed, g.cancelled, g.no_show,
               round(100.0 * g.cancelled / NULLIF(g.bookings, 0), 1),
               round(100.0 * g.no_show / NULLIF(g.bookings, 0), 1),
               round(g.median_lead::numeric, 1),
               round(g.average_lead::numeric, 1)
        FROM g
        LEFT JOIN {T["doctor"]} d ON d.id = g.doctor_id
        ORDER BY CASE g.gset WHEN 7 THEN 0 WHEN 3 THEN 1 WHEN 5 THEN 2 ELSE 3 END,
                 d.code, g.weekday, g.hour"""
    return _fetch(sql, {**params, **_tz()}, columns=PATTERNS_COLUMNS, limit=limit, stream=stream)


# --- revenue ------------------------------------------------------------------------------


def revenue_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int | None = None,
    stream: bool = False,
) -> ReportRows:
    """Money per local calendar month, every month from the first to the last with activity.

    invoiced: totals of issued and paid invoices by `issued_at` month (tax included); paid:
    payments by `received_at` month; outstanding: what is still unpaid today of the invoices
    issued that month; medication … other: the active lines of those invoices by kind (they
    add up to the subtotal), and tax. Drafts and void invoices count nowhere. One query.
    """
    inv_clauses, inv_params = _period("i.issued_at", date_from, date_to)
    pay_clauses, pay_params = _period("pm.received_at", date_from, date_to)
    inv_where = " AND ".join([f"i.status IN ({_sql_list(ISSUED)})", *inv_clauses])
    pay_where = " AND ".join(pay_clauses) or "TRUE"
    month = "date_trunc('month', {} AT TIME ZONE %(tz)s)::date"
    kinds = ", ".join(
        f"sum(l.amount) FILTER (WHERE l.kind = '{k}') AS {k}" for k in (k.value for k in LineKind)
    )
    kind_cols = ", ".join(f"COALESCE(k.{k.value}, 0)::numeric(12, 2)" for k in LineKind)
    sql = f"""
        WITH inv AS (
            SELECT i.id, i.total, i.tax, {month.format("i.issued_at")} AS month
            FROM {T["invoice"]} i
            WHERE {inv_where}
        ),
        paid_so_far AS (
            SELECT pm.invoice_id, sum(pm.amount) AS amount
            FROM {T["payment"]} pm
            WHERE pm.invoice_id IN (SELECT id FROM inv)
            GROUP BY pm.invoice_id
        ),
        invoiced AS (
            SELECT inv.month, sum(inv.total) AS invoiced, sum(inv.tax) AS tax,
                   sum(inv.total - COALESCE(ps.amount, 0)) AS outstanding
            FROM inv LEFT JOIN paid_so_far ps ON ps.invoice_id = inv.id
            GROUP BY inv.month
        ),
        by_kind AS (
            SELECT inv.month, {kinds}
            FROM inv JOIN {T["line"]} l ON l.invoice_id = inv.id AND l.is_active
            GROUP BY inv.month
        ),
        received AS (
            SELECT {month.format("pm.received_at")} AS month, sum(pm.amount) AS paid
            FROM {T["payment"]} pm
            WHERE {pay_where}
            GROUP BY 1
        ),
        span AS (
            SELECT min(month) AS m0, max(month) AS m1
            FROM (SELECT month FROM invoiced UNION ALL SELECT month FROM received) x
        )
        SELECT to_char(m.month, 'YYYY-MM'),
               COALESCE(v.invoiced, 0)::numeric(12, 2), COALESCE(r.paid, 0)::numeric(12, 2),
               COALESCE(v.outstanding, 0)::numeric(12, 2), {kind_cols},
               COALESCE(v.tax, 0)::numeric(12, 2)
        FROM span
        CROSS JOIN LATERAL generate_series(
            span.m0::timestamp, span.m1::timestamp, interval '1 month'
        ) AS m(month)
        LEFT JOIN invoiced v ON v.month = m.month::date
        LEFT JOIN received r ON r.month = m.month::date
        LEFT JOIN by_kind k ON k.month = m.month::date
        ORDER BY m.month"""
    params = {**inv_params, **pay_params, **_tz()}
    return _fetch(sql, params, columns=REVENUE_COLUMNS, limit=limit, stream=stream)
