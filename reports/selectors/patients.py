"""The patient reports: patient-bills (the billing rule); patient-health and demographics
live in reports.selectors.health (re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from billing.models import BillingSettings, BillTotalsShard, PatientBill
from billing.rule import cents
from reports.selectors._base import ReportRows, T, fetch, patient_clause
from reports.selectors.health import (  # noqa: F401 (re-exported)
    DEMOGRAPHICS_COLUMNS,
    PATIENT_HEALTH_COLUMNS,
    demographics_report,
    mrn_after,
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
_BILL = PatientBill._meta.db_table
_SHARDS = BillTotalsShard._meta.db_table


def _bill_params() -> dict[str, Decimal]:
    config = BillingSettings.load()
    return {
        "default_surgery_fee": config.default_surgery_fee,
        "minimum_charge": config.minimum_charge,
        "tax_rate": config.tax_rate,
    }


def patient_bills_report(
    *,
    patient: str | None = None,
    limit: int | None = None,
    stream: bool = False,
    after: str | None = None,
    keyed: bool = False,
) -> ReportRows:
    """What each patient's next invoice would total now, by the billing rule, for every
    patient by MRN: the per-patient sums the database keeps from the rule's SQL function
    (billing.bill_summary), then the default surgery fee, the minimum charge and tax as the
    invoice applies them. Rows strictly after the MRN `after`; with `keyed`, each row ends
    with its page token. `patient`: only patients whose MRN is it or whose name holds it
    (reports.selectors.patient_clause). Two queries: the billing settings, then a walk of
    the MRN index with one summary probe per row (with `patient`, of the patients found)."""
    params: dict[str, object] = _bill_params()
    where, found = patient_clause(patient)
    params.update(found)
    if (mrn := mrn_after(after)) is not None:
        where += " AND p.mrn > %(after)s"
        params["after"] = mrn
    key = ", mrn" if keyed else ""
    sql = f"""
        WITH bills AS (
            SELECT p.mrn, trim(p.first_name || ' ' || p.last_name) AS patient_name,
                   COALESCE(b.medication_total, 0) AS medication_total,
                   COALESCE(b.surgery_priced_total, 0)
                       + COALESCE(b.surgery_default_count, 0) * %(default_surgery_fee)s
                       AS surgery_total,
                   COALESCE(b.consultation_total, 0) AS consultation_total,
                   COALESCE(b.unpriced_medications, 0) AS unpriced_medications
            FROM {T["patient"]} p
            LEFT JOIN {_BILL} b ON b.patient_id = p.id
            WHERE {where}
            ORDER BY p.mrn
            {"LIMIT %(limit)s" if limit is not None else ""}
        ),
        totals AS (
            SELECT bills.*,
                   CASE WHEN medication_total + surgery_total + consultation_total = 0
                        THEN %(minimum_charge)s
                        ELSE medication_total + surgery_total + consultation_total
                   END AS total
            FROM bills
        )
        -- Tax as the invoice rounds it: half-up to cents (PostgreSQL's round() on numeric).
        SELECT mrn, patient_name, medication_total::numeric(20, 2),
               surgery_total::numeric(20, 2), consultation_total::numeric(20, 2),
               total::numeric(20, 2), unpriced_medications,
               round(total * %(tax_rate)s::numeric, 2)::numeric(20, 2),
               (total + round(total * %(tax_rate)s::numeric, 2))::numeric(20, 2){key}
        FROM totals
        ORDER BY mrn"""
    if limit is not None:
        params["limit"] = limit
    return fetch(sql, params, columns=PATIENT_BILLS_COLUMNS, stream=stream)


@dataclass(frozen=True)
class BillTotals:
    patients: int
    medication_total: Decimal
    surgery_total: Decimal
    consultation_total: Decimal
    total: Decimal
    minimum_charges: int
    unpriced_medications: int
    currency: str  # the hospital's, from the same settings row


def patient_bill_totals() -> BillTotals:
    """The sums of the patient-bills report over all patients, from the sixteen rows of sums
    the database keeps (billing.bill_summary). Two queries: the settings and the sums."""
    config = BillingSettings.load()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COALESCE(sum(patients), 0), COALESCE(sum(priced_patients), 0),
                       COALESCE(sum(default_only_patients), 0),
                       COALESCE(sum(medication_total), 0), COALESCE(sum(surgery_priced_total), 0),
                       COALESCE(sum(surgery_default_count), 0),
                       COALESCE(sum(consultation_total), 0),
                       COALESCE(sum(unpriced_medications), 0)
                FROM {_SHARDS}"""
        )
        (
            patients,
            priced,
            default_only,
            medication,
            surgery_priced,
            surgery_default,
            consultation,
            unpriced,
        ) = cursor.fetchone()
    surgery = surgery_priced + surgery_default * config.default_surgery_fee
    # A patient whose items come to 0.00 pays the minimum charge: those with no summary row,
    # with only unpriced medications, or with only default-fee surgeries at a 0.00 fee.
    billed = priced + (default_only if config.default_surgery_fee > 0 else 0)
    minimum_charges = patients - billed
    total = medication + surgery + consultation + minimum_charges * config.minimum_charge
    return BillTotals(
        patients=int(patients),
        medication_total=cents(medication),
        surgery_total=cents(surgery),
        consultation_total=cents(consultation),
        total=cents(total),
        minimum_charges=int(minimum_charges),
        unpriced_medications=int(unpriced),
        currency=config.currency,
    )
