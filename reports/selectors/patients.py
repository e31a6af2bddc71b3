"""The patient reports: patient-health, patient-bills (the billing rule) and demographics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from billing.models import BillingSettings
from patients.models import HistoryKind, Sex
from reports.selectors._base import ReportRows, T, fetch

# Column names are a contract (issue 6): the listed ones first, in this order.
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
# Demographics: five-year bands 0-4 … 85-89, then 90+ (band 18); -1 is "date of birth unknown".
AGE_BAND_TOP = 18


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
    return fetch(sql, params, columns=PATIENT_HEALTH_COLUMNS, limit=limit, stream=stream)


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
    return fetch(sql, _bill_params(), columns=PATIENT_BILLS_COLUMNS, limit=limit, stream=stream)


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
    return fetch(sql, params, columns=DEMOGRAPHICS_COLUMNS, limit=limit, stream=stream)
