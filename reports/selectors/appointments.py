"""The appointment reports: appointments, doctor-workload and appointment-patterns."""

from __future__ import annotations

import datetime

from django.db import connection

from appointments.models import ACTIVE_STATUSES, AppointmentStatus
from doctors.models import Doctor
from reports.selectors._base import ReportRows, T, appointment_filter, fetch, sql_list, tz_param

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
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
    where, params = appointment_filter(date_from, date_to, doctor)
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
    return fetch(
        sql, {**params, **tz_param()}, columns=APPOINTMENTS_COLUMNS, limit=limit, stream=stream
    )


def appointment_status_counts(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status in the period, zeros included. One query."""
    where, params = appointment_filter(date_from, date_to, doctor)
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
    where, params = appointment_filter(date_from, date_to, doctor)
    doctor_clause = "AND d.id = %(doctor_id)s" if doctor is not None else ""
    wh_clause = "AND wh.doctor_id = %(doctor_id)s" if doctor is not None else ""
    if date_from is not None and date_to is not None:
        period = "SELECT %(day_from)s::date AS d0, %(day_to)s::date AS d1"
    else:
        # An open end: the first or last appointment day, found in one pass (MATERIALIZED,
        # or the planner copies the scan into every use of d0 and d1).
        period = """SELECT COALESCE(%(day_from)s::date, min(day)) AS d0,
                           COALESCE(%(day_to)s::date, max(day)) AS d1
                    FROM appt"""
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
        period AS MATERIALIZED ({period}),
        counts AS (
            SELECT doctor_id, count(*) AS total, {statuses},
                   COALESCE(sum(EXTRACT(EPOCH FROM "end" - start))
                       FILTER (WHERE status IN ({sql_list(ACTIVE_STATUSES)})), 0) / 60
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
    params.update(tz_param(), day_from=date_from, day_to=date_to)
    return fetch(sql, params, columns=WORKLOAD_COLUMNS, limit=limit, stream=stream)


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
    where, params = appointment_filter(date_from, date_to, doctor)
    names = ", ".join(f"'{n}'" for n in WEEKDAY_NAMES)
    sql = f"""
        WITH a AS (
            SELECT a.doctor_id, a.status,
                   date_part('isodow', a.start AT TIME ZONE %(tz)s)::int - 1 AS weekday,
                   date_part('hour', a.start AT TIME ZONE %(tz)s)::int AS hour,
                   CASE WHEN a.legacy_id IS NULL
                        THEN GREATEST(date_part('epoch', a.start - a.created_at), 0) / 86400
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
    return fetch(
        sql, {**params, **tz_param()}, columns=PATTERNS_COLUMNS, limit=limit, stream=stream
    )
