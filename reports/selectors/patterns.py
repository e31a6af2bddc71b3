"""The appointment-patterns report, from the appointment roll-ups (split from
reports.selectors.appointments, which keeps the shared column names and table names)."""

from __future__ import annotations

import datetime

from doctors.models import Doctor
from reports.selectors._base import ReportRows, T, appointment_filter, day_clauses, fetch, tz_param
from reports.selectors.appointments import (
    _DAY_LEAD,
    _DOCTOR_DAY,
    _DOCTOR_LEAD,
    _HOUR,
    _STATUSES,
    PATTERNS_COLUMNS,
    WEEKDAY_NAMES,
    doctor_after,
)

# --- appointment-patterns -----------------------------------------------------------------


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def doctor_spans(
    date_from: datetime.date | None, date_to: datetime.date | None
) -> list[tuple[bool, datetime.date, datetime.date, int]]:
    """The period as (whole_month, first, last, sign) spans of DoctorLeadCount rows: the
    whole months inside it, plus or minus days at its two ends, whichever reads fewer days
    (a partial month is its days, or its whole month less the days outside the period)."""
    day = datetime.timedelta(days=1)
    if date_from is not None and date_to is not None:
        if date_from > date_to:
            return []
        first, last = date_from.replace(day=1), _month_end(date_from)
        if first == date_to.replace(day=1):  # one month
            inside = (date_to - date_from).days + 1
            if 2 * inside <= (last - first).days + 1:
                return [(False, date_from, date_to, 1)]
            spans = [(True, first, first, 1)]
            if date_from > first:
                spans.append((False, first, date_from - day, -1))
            if date_to < last:
                spans.append((False, date_to + day, last, -1))
            return spans
    spans, months_from, months_to = [], datetime.date.min, datetime.date.max
    if date_from is not None:
        first, last = date_from.replace(day=1), _month_end(date_from)
        months_from = first
        if date_from == first:
            pass
        elif (last - date_from).days + 1 <= (date_from - first).days:
            spans.append((False, date_from, last, 1))
            months_from = last + day
        else:
            spans.append((False, first, date_from - day, -1))
    if date_to is not None:
        first, last = date_to.replace(day=1), _month_end(date_to)
        months_to = first
        if date_to == last:
            pass
        elif date_to.day <= (last - date_to).days:
            spans.append((False, first, date_to, 1))
            months_to = (first - day).replace(day=1)
        else:
            spans.append((False, date_to + day, last, -1))
    if months_from <= months_to:
        spans.append((True, months_from, months_to, 1))
    return spans


_LEAD_SUM = "sum(CASE WHEN lead_days >= 0 THEN lead_days * n END)"
_TOTAL = "scheduled + checked_in + completed + cancelled + no_show"


def _hospital_sources(date_from, date_to, paged: bool) -> tuple[str, dict]:
    """h (weekday, hour, statuses, lead_count, lead_days_sum), lh (weekday, lead_days, n)
    and dl (doctor_id, lead_days, statuses) of the whole hospital from the roll-ups; `paged`:
    dl of the page's doctors (pd) only, each read on the (doctor, whole_month, day) index."""
    clauses, params = day_clauses("r.day", date_from, date_to)
    where = " AND ".join(clauses) or "TRUE"
    sums = ", ".join(f"sum(r.{s}) AS {s}" for s in _STATUSES)
    signed = ", ".join(f"sum(s.sign * s.{s}) AS {s}" for s in _STATUSES)
    spans = doctor_spans(date_from, date_to)
    for i, (whole, lo, hi, sign) in enumerate(spans):
        params.update({f"m{i}": whole, f"lo{i}": lo, f"hi{i}": hi, f"sign{i}": sign})
    # One index range of (whole_month, day, ...) per span: a join on a VALUES list of the
    # spans would have PostgreSQL hash-join it against every row of the table instead.
    page = "JOIN pd ON pd.id = r.doctor_id" if paged else ""
    span_rows = " UNION ALL ".join(
        f"""SELECT %(sign{i})s::int AS sign, r.*
            FROM {_DOCTOR_LEAD} r {page}
            WHERE r.whole_month = %(m{i})s AND r.day BETWEEN %(lo{i})s AND %(hi{i})s"""
        for i in range(len(spans))
    )
    doctor_rows = (
        f"""SELECT s.doctor_id, s.lead_days, {signed}
            FROM ({span_rows}) s
            GROUP BY 1, 2"""
        if spans
        else f"""SELECT NULL::bigint AS doctor_id, 0 AS lead_days, {sums}
                 FROM {_HOUR} r WHERE false GROUP BY 1, 2"""
    )
    sql = f"""
        h AS (
            SELECT date_part('isodow', r.day)::int - 1 AS weekday, r.hour, {sums},
                   sum(r.lead_count) AS lead_count, sum(r.lead_days_sum) AS lead_days_sum
            FROM {_HOUR} r WHERE {where} GROUP BY 1, 2
        ),
        lh AS (
            SELECT date_part('isodow', r.day)::int - 1 AS weekday, r.lead_days,
                   sum(r.bookings) AS n
            FROM {_DAY_LEAD} r WHERE {where} GROUP BY 1, 2
        ),
        dl AS ({doctor_rows})"""
    return sql, params


def _doctor_sources(date_from, date_to, doctor: Doctor) -> tuple[str, dict]:
    """The same three sources for one doctor, from that doctor's appointments of the period
    (an index range on (doctor, start)), lead days as the roll-ups count them."""
    where, params = appointment_filter(date_from, date_to, doctor)
    counts = ", ".join(f"count(*) FILTER (WHERE status = '{s}') AS {s}" for s in _STATUSES)
    sql = f"""
        a AS MATERIALIZED (
            SELECT a.doctor_id, a.status,
                   date_part('isodow', a.start AT TIME ZONE %(tz)s)::int - 1 AS weekday,
                   extract(hour FROM a.start AT TIME ZONE %(tz)s)::int AS hour,
                   CASE WHEN a.legacy_id IS NULL
                        THEN GREATEST((a.start AT TIME ZONE %(tz)s)::date
                                      - (a.created_at AT TIME ZONE %(tz)s)::date, 0)
                        ELSE -1 END AS lead_days
            FROM {T["appointment"]} a WHERE {where}
        ),
        h AS (
            SELECT weekday, hour, {counts},
                   count(*) FILTER (WHERE lead_days >= 0) AS lead_count,
                   sum(lead_days) FILTER (WHERE lead_days >= 0) AS lead_days_sum
            FROM a GROUP BY 1, 2
        ),
        lh AS (SELECT weekday, lead_days, count(*) AS n FROM a WHERE lead_days >= 0 GROUP BY 1, 2),
        dl AS (SELECT doctor_id, lead_days, {counts} FROM a GROUP BY 1, 2)"""
    return sql, {**params, **tz_param()}


def _doctor_page(
    date_from, date_to, doctor: Doctor | None, after: str | None, doctors: int
) -> tuple[str, dict]:
    """pd: the page's doctors, `doctors` of them by code after `after` (the unique index on
    the code): the active ones and inactive ones with bookings in the period (a probe of the
    doctor-day roll-up each); or the one doctor of the filter."""
    code = doctor_after(after)
    clauses, params = day_clauses("r.day", date_from, date_to)
    booked = " AND ".join(["r.doctor_id = d.id", *clauses])
    where = ["(d.is_active OR EXISTS (SELECT 1 FROM " + _DOCTOR_DAY + " r WHERE " + booked + "))"]
    if code is not None:
        where.append("d.code > %(after_code)s")
        params["after_code"] = code
    if doctor is not None:
        where.append("d.id = %(doctor_id)s")
        params["doctor_id"] = doctor.pk
    params["doctors"] = doctors
    sql = f"""pd AS MATERIALIZED (
            SELECT d.id FROM {T["doctor"]} d WHERE {" AND ".join(where)}
            ORDER BY d.code LIMIT %(doctors)s
        )"""
    return sql, params


def appointment_patterns_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doctor: Doctor | None = None,
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    doctors: int | None = None,
) -> ReportRows:
    """Bookings in the period grouped four ways, told apart by `dimension`: `all` (one row),
    `doctor`, `weekday`, `weekday_hour` (the heatmap; only cells with bookings). Weekday
    (0 = Monday) and hour are local. Rates are percentages of all bookings in the group.
    Lead time is in whole days: the local date of the appointment − the local date it was
    booked ("booked N days ahead"; 0 for a booking recorded on or after its day), over
    appointments booked in the system (imported ones carry no booking time). The heatmap's
    cells give the average lead time, not the median.

    `doctors` (the page): the `doctor` rows are a page of that many doctors by code after
    the code `after`, every one listed (the active ones, with zeros when they had no
    bookings, and inactive ones with bookings); the other groupings stay whole. Without it,
    every doctor with bookings (the CSV and the command).

    One query. For the hospital, over the roll-ups (appointments.rollups): hours and lead
    histograms per day of the period, and each doctor's lead histograms per month inside
    the period plus days at its ends (`doctor_spans`), so its cost follows the period's
    days and the doctors, not the appointments. For one doctor, over that doctor's
    appointments of the period. Medians are read off the running count of each group's lead
    histogram (exact, as percentile_cont would give).
    """
    paged = doctors is not None
    if doctor is None:
        sources, params = _hospital_sources(date_from, date_to, paged)
    else:
        sources, params = _doctor_sources(date_from, date_to, doctor)
    if paged:
        page, page_params = _doctor_page(date_from, date_to, doctor, after, doctors)
        sources = f"{page},\n        {sources}"
        params.update(page_params)
        doctor_part = """FROM pd LEFT JOIN gd ON gd.doctor_id = pd.id
            LEFT JOIN m ON m.kind = 'd' AND m.k = pd.id"""
        doctor_id = "pd.id"
    else:
        doctor_part = "FROM gd LEFT JOIN m ON m.kind = 'd' AND m.k = gd.doctor_id"
        doctor_id = "gd.doctor_id"
    names = ", ".join(f"'{n}'" for n in WEEKDAY_NAMES)
    total = " + ".join(_STATUSES)
    sql = f"""
        WITH {sources},
        g AS (
            SELECT GROUPING(weekday, hour) AS gset, weekday, hour,
                   COALESCE(sum({total}), 0)::bigint AS bookings,
                   COALESCE(sum(completed), 0)::bigint AS completed,
                   COALESCE(sum(cancelled), 0)::bigint AS cancelled,
                   COALESCE(sum(no_show), 0)::bigint AS no_show,
                   sum(lead_count) AS lead_n, sum(lead_days_sum) AS lead_sum
            FROM h GROUP BY GROUPING SETS ((), (weekday), (weekday, hour))
        ),
        dn AS (SELECT doctor_id, lead_days, completed, cancelled, no_show,
                      {total} AS n FROM dl),
        gd AS (
            SELECT doctor_id, sum(n)::bigint AS bookings, sum(completed)::bigint AS completed,
                   sum(cancelled)::bigint AS cancelled, sum(no_show)::bigint AS no_show,
                   sum(n) FILTER (WHERE lead_days >= 0) AS lead_n, {_LEAD_SUM} AS lead_sum
            FROM dn GROUP BY doctor_id HAVING sum(n) <> 0
        ),
        l AS (
            SELECT 'a' AS kind, NULL::bigint AS k, lead_days, sum(n) AS n
            FROM lh GROUP BY lead_days
            UNION ALL
            SELECT 'w', weekday, lead_days, sum(n) FROM lh GROUP BY weekday, lead_days
            UNION ALL
            SELECT 'd', doctor_id, lead_days, n FROM dn WHERE lead_days >= 0
        ),
        c AS (
            SELECT kind, k, lead_days,
                   sum(n) OVER (PARTITION BY kind, k ORDER BY lead_days) AS upto,
                   sum(n) OVER (PARTITION BY kind, k) AS total
            FROM l WHERE n <> 0
        ),
        m AS (
            SELECT kind, k,
                   (min(lead_days) FILTER (WHERE upto > floor((total - 1) / 2))
                    + min(lead_days) FILTER (WHERE upto > floor(total / 2)))::numeric / 2
                       AS median
            FROM c GROUP BY kind, k
        ),
        out AS (
            SELECT CASE g.gset WHEN 3 THEN 0 WHEN 1 THEN 2 ELSE 3 END AS section,
                   NULL::bigint AS doctor_id, g.weekday, g.hour, g.bookings, g.completed,
                   g.cancelled, g.no_show, CASE WHEN g.gset > 0 THEN m.median END AS median,
                   g.lead_n, g.lead_sum
            FROM g
            LEFT JOIN m ON m.kind = CASE g.gset WHEN 3 THEN 'a' ELSE 'w' END
                       AND m.k IS NOT DISTINCT FROM g.weekday
            UNION ALL
            SELECT 1, {doctor_id}, NULL, NULL, COALESCE(gd.bookings, 0),
                   COALESCE(gd.completed, 0), COALESCE(gd.cancelled, 0),
                   COALESCE(gd.no_show, 0), m.median, gd.lead_n, gd.lead_sum
            {doctor_part}
        )
        SELECT (ARRAY['all', 'doctor', 'weekday', 'weekday_hour'])[o.section + 1],
               d.code, trim(d.first_name || ' ' || d.last_name),
               o.weekday, (ARRAY[{names}])[o.weekday + 1], o.hour,
               o.bookings, o.completed, o.cancelled, o.no_show,
               round(100.0 * o.cancelled / NULLIF(o.bookings, 0), 1),
               round(100.0 * o.no_show / NULLIF(o.bookings, 0), 1),
               round(o.median, 1),
               round(o.lead_sum::numeric / NULLIF(o.lead_n, 0), 1)
        FROM out o
        LEFT JOIN {T["doctor"]} d ON d.id = o.doctor_id
        ORDER BY o.section, d.code, o.weekday, o.hour"""
    return fetch(sql, params, columns=PATTERNS_COLUMNS, limit=limit, stream=stream)
