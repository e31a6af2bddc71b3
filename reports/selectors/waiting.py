"""The waiting-times report: how long checked-in patients waited, by doctor and by the hour
they checked in (the check-in queue of issue 18)."""

from __future__ import annotations

import datetime

from appointments.models import QueueTicket
from doctors.models import Doctor, Specialty
from reports.selectors._base import BadPageKey, ReportRows, T, fetch, period_clauses, tz_param

WAITING_COLUMNS = (
    "doctor_code",
    "doctor_name",
    "hour",
    "checked_in",
    "called",
    "average_wait_minutes",
    "median_wait_minutes",
    "longest_wait_minutes",
    "average_call_to_visit_minutes",
    "average_check_in_to_visit_minutes",
)
_TICKET = QueueTicket._meta.db_table
_CODE_LENGTH = Doctor._meta.get_field("code").max_length


def waiting_after(token: str | None) -> tuple[str, int] | None:
    """The (doctor code, hour) a page token stands for: the last row's, `_` between."""
    if token is None:
        return None
    code, _, hour = token.rpartition("_") if isinstance(token, str) else ("", "", "")
    if (
        not 0 < len(code) <= _CODE_LENGTH
        or not code.isprintable()
        or not (hour.isascii() and hour.isdigit() and int(hour) < 24)
    ):
        raise BadPageKey("Not a page of this report.")
    return code, int(hour)


def _minutes(later: str, earlier: str) -> str:
    return f"EXTRACT(EPOCH FROM {later} - {earlier}) / 60"


def waiting_times_report(
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
    """Per doctor (by code) and local hour of check-in, for appointments starting in the
    period: how many checked in, how many were called from the queue, the wait from check-in
    to the call (average, median, longest, in minutes, 1 place), from the call to the start
    of the visit, and from check-in to the start of the visit (which needs no queue: visits
    started without a call count there too). An undone check-in counts nowhere.

    One query: doctors in code order (unique index), each with its period's appointments
    (index on doctor and start) grouped by hour, so a page costs its doctors × the period's
    visits and stops at `limit` rows; paged by (code, hour).
    """
    clauses, params = period_clauses("a.start", date_from, date_to)
    doctor_clause = ""
    if doctor is not None:
        doctor_clause += " AND d.id = %(doctor_id)s"
        params["doctor_id"] = doctor.pk
    if specialty is not None:
        doctor_clause += " AND d.specialty_id = %(specialty_id)s"
        params["specialty_id"] = specialty.pk
    key = waiting_after(after)
    if key is not None:
        doctor_clause += (
            " AND d.code >= %(after_code)s AND (d.code, w.hour) > (%(after_code)s, %(after_hour)s)"
        )
        params.update(after_code=key[0], after_hour=key[1])
    wait = _minutes("q.called_at", "t.checked_in_at")
    to_visit = _minutes("t.started_at", "q.called_at")
    token = ", d.code || '_' || lpad(w.hour::text, 2, '0')" if keyed else ""
    sql = f"""
        SELECT d.code,
               trim(d.first_name || ' ' || d.last_name),
               w.hour,
               w.checked_in,
               w.called,
               round(w.average_wait::numeric, 1),
               round(w.median_wait::numeric, 1),
               round(w.longest_wait::numeric, 1),
               round(w.call_to_visit::numeric, 1),
               round(w.check_in_to_visit::numeric, 1){token}
        FROM {T["doctor"]} d
        CROSS JOIN LATERAL (
            SELECT EXTRACT(HOUR FROM t.checked_in_at AT TIME ZONE %(tz)s)::int AS hour,
                   count(*) AS checked_in,
                   count(q.called_at) AS called,
                   avg({wait}) AS average_wait,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY {wait}) AS median_wait,
                   max({wait}) AS longest_wait,
                   avg({to_visit}) FILTER (WHERE t.started_at >= q.called_at) AS call_to_visit,
                   avg({_minutes("t.started_at", "t.checked_in_at")}) AS check_in_to_visit
            FROM {T["appointment"]} a
            JOIN {T["attendance"]} t ON t.appointment_id = a.id
            LEFT JOIN {_TICKET} q ON q.appointment_id = a.id AND q.withdrawn_at IS NULL
            WHERE a.doctor_id = d.id AND t.checked_in_at IS NOT NULL
                  AND {" AND ".join(clauses) or "TRUE"}
            GROUP BY 1
        ) w
        WHERE TRUE {doctor_clause}
        ORDER BY d.code, w.hour"""
    return fetch(sql, {**params, **tz_param()}, columns=WAITING_COLUMNS, limit=limit, stream=stream)
