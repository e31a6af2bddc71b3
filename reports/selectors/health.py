"""The patient-health and demographics reports, read from the summaries of reports.models.

The summaries are kept exact by triggers (migration reports 0001) in the transaction of every
write, so a page costs the same at a million patients as at ten thousand:
- patient-health is paged by MRN: the patients' unique MRN index walked from the page token,
  each patient's summary row fetched by key, `limit` rows read. With a period the same walk
  probes each patient's history in the period (index on patient, kind, recorded_on) and
  computes the figures of those it keeps by the same SQL function the summary uses; for a
  short period the planner starts from the period's history instead (index on recorded_on,
  patient) and sorts its few patients by MRN.
- demographics sums the active patients per (date of birth, sex): a few thousand rows.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from patients.models import Patient, Sex
from reports.models import DemographicCount, PatientHealthSummary
from reports.selectors._base import BadPageKey, ReportRows, T, fetch

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
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    keyed: bool = False,
) -> ReportRows:
    """Distinct medications and surgeries per patient with any history recorded in the period
    (`recorded_on`; all of it without one), by MRN. Names count once whatever their case or
    surrounding blanks; a medication linked to the price list counts under its price-list
    name; "None", "N/A", "-" are no medication or surgery. Rows strictly after the MRN
    `after`; with `keyed`, each row ends with its page token. One query."""
    params: dict[str, Any] = {}
    clauses = []
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
    band listed even when empty, then those without a date of birth. One query, over the
    counts per (date of birth, sex)."""
    sexes = ", ".join(
        f"sum(patients) FILTER (WHERE sex = '{s}') AS {s}"
        for s in (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN)
    )
    sql = f"""
        WITH ages AS (
            SELECT d.sex, d.patients,
                   CASE WHEN d.date_of_birth IS NULL THEN -1
                        ELSE LEAST(GREATEST(
                            date_part('year', age(%(today)s::date, d.date_of_birth))::int, 0
                        ) / 5, {AGE_BAND_TOP})
                   END AS band
            FROM {_DEMOGRAPHICS} d
            WHERE d.patients > 0
        ),
        counts AS (
            SELECT band, {sexes}, sum(patients) AS total FROM ages GROUP BY band
        )
        SELECT CASE WHEN b.band = -1 THEN 'unknown'
                    WHEN b.band = {AGE_BAND_TOP} THEN '{AGE_BAND_TOP * 5}+'
                    ELSE (b.band * 5)::text || '-' || (b.band * 5 + 4)::text END,
               COALESCE(c.female, 0)::int, COALESCE(c.male, 0)::int,
               COALESCE(c.other, 0)::int, COALESCE(c.unknown, 0)::int,
               COALESCE(c.total, 0)::int
        FROM generate_series(-1, {AGE_BAND_TOP}) AS b(band)
        LEFT JOIN counts c ON c.band = b.band
        ORDER BY b.band = -1, b.band"""
    params = {"today": today or timezone.localdate()}
    return fetch(sql, params, columns=DEMOGRAPHICS_COLUMNS, limit=limit, stream=stream)
