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

from reports.selectors._base import BadPageKey, ReportRows, hospital_currency
from reports.selectors.appointments import (
    APPOINTMENTS_COLUMNS,
    PATTERNS_COLUMNS,
    WEEKDAY_NAMES,
    WORKLOAD_COLUMNS,
    appointment_status_counts,
    appointments_report,
    doctor_workload_report,
)
from reports.selectors.patients import (
    DEMOGRAPHICS_COLUMNS,
    PATIENT_BILLS_COLUMNS,
    PATIENT_HEALTH_COLUMNS,
    BillTotals,
    demographics_report,
    patient_bill_totals,
    patient_bills_report,
    patient_health_report,
)
from reports.selectors.patterns import appointment_patterns_report
from reports.selectors.revenue import REVENUE_COLUMNS, revenue_report
from reports.selectors.waiting import WAITING_COLUMNS, waiting_times_report

__all__ = [
    "APPOINTMENTS_COLUMNS",
    "DEMOGRAPHICS_COLUMNS",
    "PATIENT_BILLS_COLUMNS",
    "PATIENT_HEALTH_COLUMNS",
    "PATTERNS_COLUMNS",
    "REVENUE_COLUMNS",
    "WAITING_COLUMNS",
    "WEEKDAY_NAMES",
    "WORKLOAD_COLUMNS",
    "BadPageKey",
    "BillTotals",
    "ReportRows",
    "appointment_patterns_report",
    "appointment_status_counts",
    "appointments_report",
    "demographics_report",
    "doctor_workload_report",
    "hospital_currency",
    "patient_bill_totals",
    "patient_bills_report",
    "patient_health_report",
    "revenue_report",
    "waiting_times_report",
]
