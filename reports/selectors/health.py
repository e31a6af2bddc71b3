"""The patient-health and demographics reports, read from the summaries of reports.models.

The summaries are kept exact by triggers (migration reports 0001) in the transaction of every
write, so a page costs the same at a million patients as at ten thousand:
- patient-health is paged by MRN: the patients' unique MRN index walked from the page token,
  each patient's summary row fetched by key, `limit` rows read. With a period the same walk
  probes each patient's history in the period (index on patient, kind, recorded_on) and
  computes the figures of those it keeps by the same SQL function the summary uses; for a
  short period the planner starts from the period's history instead (index on recorded_on,
  patient) and sorts its few patients by MRN.
- demographics sums the active patients per birth month (a column per sex), and per (date of
  birth, sex) only a few days of the months that hold a band's cut-off day: at most about
  1,500 month rows and 18 × 15 × 4 day rows, whatever the number of patients.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from patients.models import Patient, Sex
from reports.models import DemographicCount, DemographicMonthCount, PatientHealthSummary
from reports.selectors._base import BadPageKey, ReportRows, T, fetch, patient_clause

# Column names are a contract (issue 6): the listed ones first, in this order.
PATIENT_HEALTH_COLUMNS = (
    "mrn",
    "patient_name",
    "distinct_medications",
    "distinct_surgeries",
    "medications",
    "surgeries",
)
DEMOGRAPHICS_COLUMNS = ("age_band", "female", "male", "other", "unknown", "total")
# Demographics: five-year bands 0-4 … 85-89, then 90+ (band 18); -1 is "date of birth unknown".
AGE_BAND_TOP = 18

_MRN_LENGTH = Patient._meta.get_field("mrn").max_length
_HEALTH = PatientHealthSummary._meta.db_table
_DEMOGRAPHICS = DemographicCount._meta.db_table
_MONTHS = DemographicMonthCount._meta.db_table


def mrn_after(token: str | None) -> str | None:
    """The MRN a page token stands for (the token is the last MRN shown)."""
    if token is None:
        return None
    if not isinstance(token, str) or not 0 < len(token) <= _MRN_LENGTH or not token.isprintable():
        raise BadPageKey("Not a page of this report.")
    return token


def patient_health_report(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    patient: str | None = None,
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    keyed: bool = False,
) -> ReportRows:
    """Distinct medications and surgeries per patient with any history recorded in the period
    (`recorded_on`; all of it without one), by MRN. Names count once whatever their case or
    surrounding blanks; a medication linked to the price list counts under its price-list
    name; "None", "N/A", "-" are no medication or surgery. Rows strictly after the MRN
    `after`; with `keyed`, each row ends with its page token. `patient`: only patients whose
    MRN is it or whose name holds it (reports.selectors.patient_clause). One query."""
    found, params = patient_clause(patient)
    clauses = [found] if patient else []
    if (mrn := mrn_after(after)) is not None:
        clauses.append("p.mrn > %(after)s")
        params["after"] = mrn
    key = ", p.mrn" if keyed else ""
    if date_from is None and date_to is None:
        figures = f"JOIN {_HEALTH} f ON f.patient_id = p.id"
    else:
        params.update(date_from=date_from, date_to=date_to)
        figures = (
            "CROSS JOIN LATERAL reports_patient_health(p.id, %(date_from)s::date, "
            "%(date_to)s::date) f"
        )
        # Said twice on purpose: as a semi-join the planner may start from the history of the
        # period (index on recorded_on, patient) when it is short, and sort those few patients
        # by MRN, instead of walking every patient by MRN to find them.
        in_period = ["h.patient_id = p.id"]
        if date_from is not None:
            in_period.append("h.recorded_on >= %(date_from)s::date")
        if date_to is not None:
            in_period.append("h.recorded_on <= %(date_to)s::date")
        clauses.append(f"EXISTS (SELECT 1 FROM {T['history']} h WHERE {' AND '.join(in_period)})")
    where = " AND ".join(["f.entries > 0", *clauses])
    sql = f"""
        SELECT p.mrn, trim(p.first_name || ' ' || p.last_name),
               f.distinct_medications, f.distinct_surgeries, f.medications, f.surgeries{key}
        FROM {T["patient"]} p
        {figures}
        WHERE {where}
        ORDER BY p.mrn"""
    return fetch(sql, params, columns=PATIENT_HEALTH_COLUMNS, limit=limit, stream=stream)


def demographics_report(
    *, today: datetime.date | None = None, limit: int | None = None, stream: bool = False
) -> ReportRows:
    """Active patients by five-year age band (age today, in the hospital's zone) and sex, every
    band listed even when empty, then those without a date of birth. Ages are whole years as
    PostgreSQL's age() counts them (born 29 February: a year older on 1 March, in other
    years); born in the future is age 0; 90 and over is one band.

    One query, whose rows do not grow with the patients. A patient is at least 5k years old
    when born on or before the cut-off day today less 5k years (k = 1..18; 29 February less a
    year is 28 February), so a birth date's band is the number of cut-offs on or after it. A
    birth month that holds no cut-off lies in one band: it is read as one row (a column per
    sex) from the counts per month, counted at one of its days. In the 18 months that hold a
    cut-off, the days on the other side of the cut-off from that day (at most 15 of them) are
    read from the counts per day, an index range each, and moved to their own band."""
    sexes = (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN)
    by_sex = ", ".join(
        f"CASE WHEN d.sex = '{s}' THEN v.sign * d.patients ELSE 0 END" for s in sexes
    )
    sums = ", ".join(f"sum(b.{s}) AS {s}" for s in sexes)
    sql = f"""
        WITH cut AS (
            SELECT (%(today)s::date - make_interval(years => 5 * k))::date AS day
            FROM generate_series(1, {AGE_BAND_TOP}) AS k
        ),
        -- A date's band is 18 less the cut-offs before it: those whose next day is on or
        -- before it (width_bucket counts them in the sorted array).
        after_cut AS (SELECT array_agg(day + 1 ORDER BY day) AS days FROM cut),
        -- Each month is counted at its first day when the cut-offs fall late in their month,
        -- else at its last: the fewer days of a cut-off's month are then those to move.
        side AS (SELECT extract(day FROM %(today)s::date) > 15 AS late),
        moves AS (
            SELECT CASE WHEN s.late THEN c.day + 1 ELSE m.first END AS low,
                   CASE WHEN s.late THEN m.next ELSE c.day + 1 END AS high,
                   CASE WHEN s.late THEN m.first ELSE m.next - 1 END AS counted_at
            FROM cut c CROSS JOIN side s
            CROSS JOIN LATERAL (
                SELECT reports_birth_month(c.day) AS first,
                       (reports_birth_month(c.day) + interval '1 month')::date AS next
            ) m
        ),
        born AS (
            SELECT CASE WHEN s.late THEN m.birth_month
                        ELSE (m.birth_month + interval '1 month')::date - 1 END AS day,
                   {", ".join(f"m.{s}" for s in sexes)}
            FROM {_MONTHS} m CROSS JOIN side s
            UNION ALL
            SELECT v.day, {by_sex}
            FROM moves mv
            JOIN {_DEMOGRAPHICS} d
              ON d.date_of_birth >= mv.low AND d.date_of_birth < mv.high
            CROSS JOIN LATERAL (VALUES (d.date_of_birth, 1), (mv.counted_at, -1)) AS v(day, sign)
            WHERE d.patients <> 0
        ),
        counts AS (
            SELECT CASE WHEN b.day IS NULL THEN -1
                        ELSE {AGE_BAND_TOP} - width_bucket(b.day, a.days) END AS band,
                   {sums}
            FROM born b CROSS JOIN after_cut a
            GROUP BY 1
        )
        SELECT CASE WHEN g.band = -1 THEN 'unknown'
                    WHEN g.band = {AGE_BAND_TOP} THEN '{AGE_BAND_TOP * 5}+'
                    ELSE (g.band * 5)::text || '-' || (g.band * 5 + 4)::text END,
               {", ".join(f"COALESCE(c.{s}, 0)::int" for s in sexes)},
               COALESCE({" + ".join(f"c.{s}" for s in sexes)}, 0)::int
        FROM generate_series(-1, {AGE_BAND_TOP}) AS g(band)
        LEFT JOIN counts c ON c.band = g.band
        ORDER BY g.band = -1, g.band"""
    params = {"today": today or timezone.localdate()}
    return fetch(sql, params, columns=DEMOGRAPHICS_COLUMNS, limit=limit, stream=stream)
