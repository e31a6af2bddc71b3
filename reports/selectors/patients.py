"""The patient reports: patient-health, patient-bills (the billing rule) and demographics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from appointments.models import AppointmentStatus
from billing.models import BillingSettings
from core.nothing import NOTHING
from patients.models import HistoryKind, Sex
from reports.selectors._base import ReportRows, T, fetch, sql_list

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
    "tax",
    "invoice_total",
)
DEMOGRAPHICS_COLUMNS = ("age_band", "female", "male", "other", "unknown", "total")
# A visit bills a consultation once the patient was seen (checked in, then cancelled, means
# the patient left before being seen).
ATTENDED = (AppointmentStatus.CHECKED_IN.value, AppointmentStatus.COMPLETED.value)
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
    linked to the price list counts under its price-list name; "None", "N/A", "-" are no
    medication or surgery. One query."""
    clauses, params = [], {}
    if date_from is not None:
        clauses.append("h.recorded_on >= %(date_from)s")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("h.recorded_on <= %(date_to)s")
        params["date_to"] = date_to
    where = " AND ".join(clauses) or "TRUE"
    something = f"lower(trim(h.description)) NOT IN ({sql_list(NOTHING)})"
    med = f"h.kind = '{HistoryKind.MEDICATION.value}' AND {something}"
    surg = f"h.kind = '{HistoryKind.SURGERY.value}' AND {something}"
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

# The billing rule of DESIGN.md as billing.services prices a draft invoice, set-based for every
# patient: a medication costs quantity × its unit cost (the price list by foreign key, else by
# name trimmed and case-blind; missing: 0.00, flagged); a surgery its procedure fee (foreign
# key, else name) or the default surgery fee; a visit (an attendance whose appointment was
# checked in or completed) the doctor's consultation fee. "None", "N/A", "-" and blanks are
# no item at all. An item is billed while an active invoice line carries its source key
# (`history:<id>`, `attendance:<id>`).
_BILLS_CTE = f"""
    WITH prices AS (
        SELECT lower(name) AS key, min(unit_cost) AS unit_cost
        FROM {T["medication"]} GROUP BY lower(name)
    ),
    fees AS (
        SELECT lower(name) AS key, min(fee) AS fee FROM {T["procedure"]} GROUP BY lower(name)
    ),
    billed AS (
        SELECT source_key FROM {T["line"]} WHERE is_active AND source_key IS NOT NULL
    ),
    unbilled AS (
        SELECT h.id, h.patient_id, h.kind, h.quantity, h.medication_id, h.procedure_id,
               lower(trim(h.description)) AS name_key
        FROM {T["history"]} h
        WHERE h.is_billable
          AND h.kind IN ('{HistoryKind.MEDICATION.value}', '{HistoryKind.SURGERY.value}')
          AND lower(trim(h.description)) NOT IN ({sql_list(NOTHING)})
          AND NOT EXISTS (SELECT 1 FROM billed b WHERE b.source_key = 'history:' || h.id)
    ),
    meds AS (
        SELECT u.patient_id,
               sum(COALESCE(linked.unit_cost, named.unit_cost, 0) * u.quantity) AS total,
               count(*) FILTER (WHERE linked.id IS NULL AND named.key IS NULL) AS unpriced
        FROM unbilled u
        LEFT JOIN {T["medication"]} linked ON linked.id = u.medication_id
        LEFT JOIN prices named ON named.key = u.name_key
        WHERE u.kind = '{HistoryKind.MEDICATION.value}'
        GROUP BY u.patient_id
    ),
    surgeries AS (
        SELECT u.patient_id,
               sum(COALESCE(linked.fee, named.fee, %(default_surgery_fee)s)) AS total
        FROM unbilled u
        LEFT JOIN {T["procedure"]} linked ON linked.id = u.procedure_id
        LEFT JOIN fees named ON named.key = u.name_key
        WHERE u.kind = '{HistoryKind.SURGERY.value}'
        GROUP BY u.patient_id
    ),
    consultations AS (
        SELECT at.patient_id, sum(d.consultation_fee) AS total
        FROM {T["attendance"]} at
        JOIN {T["appointment"]} a ON a.id = at.appointment_id
        JOIN {T["doctor"]} d ON d.id = a.doctor_id
        WHERE a.status IN ({sql_list(ATTENDED)})
          AND NOT EXISTS (SELECT 1 FROM billed b WHERE b.source_key = 'attendance:' || at.id)
        GROUP BY at.patient_id
    ),
    bills AS (
        SELECT p.id, p.mrn, trim(p.first_name || ' ' || p.last_name) AS patient_name,
               COALESCE(m.total, 0)::numeric(20, 2) AS medication_total,
               COALESCE(s.total, 0)::numeric(20, 2) AS surgery_total,
               COALESCE(c.total, 0)::numeric(20, 2) AS consultation_total,
               COALESCE(m.unpriced, 0)::int AS unpriced_medications
        FROM {T["patient"]} p
        LEFT JOIN meds m ON m.patient_id = p.id
        LEFT JOIN surgeries s ON s.patient_id = p.id
        LEFT JOIN consultations c ON c.patient_id = p.id
    ),
    totals AS (
        SELECT bills.*,
               CASE WHEN medication_total + surgery_total + consultation_total = 0
                    THEN %(minimum_charge)s::numeric(20, 2)
                    ELSE medication_total + surgery_total + consultation_total
               END AS total
        FROM bills
    ),
    taxed AS (
        -- Tax as the invoice rounds it: half-up to cents (PostgreSQL's round() on numeric).
        SELECT totals.*, round(total * %(tax_rate)s::numeric, 2) AS tax FROM totals
    )"""


def _bill_params() -> dict[str, Decimal]:
    config = BillingSettings.load()
    return {
        "default_surgery_fee": config.default_surgery_fee,
        "minimum_charge": config.minimum_charge,
        "tax_rate": config.tax_rate,
    }


def patient_bills_report(*, limit: int | None = None, stream: bool = False) -> ReportRows:
    """What each patient's next invoice would total now, by the billing rule, for every
    patient. Two queries: the billing settings, then one statement of hash joins and
    anti-joins (the partial unique index on active source keys serves the billed check)."""
    sql = f"""{_BILLS_CTE}
        SELECT mrn, patient_name, medication_total, surgery_total, consultation_total, total,
               unpriced_medications, tax, (total + tax)::numeric(20, 2)
        FROM taxed
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
               COALESCE(sum(medication_total), 0)::numeric(20, 2),
               COALESCE(sum(surgery_total), 0)::numeric(20, 2),
               COALESCE(sum(consultation_total), 0)::numeric(20, 2),
               COALESCE(sum(total), 0)::numeric(20, 2),
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
