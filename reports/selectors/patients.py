"""The patient reports: patient-bills (the billing rule); patient-health and demographics
live in reports.selectors.health (re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from appointments.models import AppointmentStatus
from billing.models import BillingSettings
from core.nothing import NOTHING
from patients.models import HistoryKind
from reports.selectors._base import ReportRows, T, fetch, sql_list
from reports.selectors.health import (  # noqa: F401 (re-exported)
    DEMOGRAPHICS_COLUMNS,
    PATIENT_HEALTH_COLUMNS,
    demographics_report,
    patient_health_report,
)

# Column names are a contract (issue 6): the listed ones first, in this order.
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
# A visit bills a consultation once the patient was seen (checked in, then cancelled, means
# the patient left before being seen).
ATTENDED = (AppointmentStatus.CHECKED_IN.value, AppointmentStatus.COMPLETED.value)


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
