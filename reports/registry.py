"""Every report in one table: the page, the CSV view and the `report` command all read it.

A report names its selector, who may open it (roles of DESIGN.md) and which filters it takes.
Doctors see only their own figures: for them the `doctor` filter is forced to their own Doctor.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core import roles
from doctors.models import Doctor, Specialty
from reports import charts, selectors

FROM, TO, DOCTOR, SPECIALTY, PATIENT = "from", "to", "doctor", "specialty", "patient"
FILTERS = (FROM, TO, DOCTOR, SPECIALTY, PATIENT)
# The page of a report over events in time (appointments, invoices) covers this many days up
# to today unless the filter bar says otherwise, so it reads a period's roll-ups, never all.
DEFAULT_PERIOD_DAYS = 90
# Rows per page of a paged report: the default and the most a page may ask for.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

# Column names that do not read well capitalised as they are.
_LABELS = {
    "mrn": "MRN",
    "appointment_id": "Appointment",
    "utilization_pct": "Utilization %",
    "cancellation_pct": "Cancelled %",
    "no_show_pct": "No-show %",
    "no_show": "No-show",
    "age_band": "Age",
    "average_call_to_visit_minutes": "Call to visit, average (min)",
    "average_check_in_to_visit_minutes": "Check-in to visit, average (min)",
    "average_wait_minutes": "Wait until called, average (min)",
    "median_wait_minutes": "Median (min)",
    "longest_wait_minutes": "Longest (min)",
}


def column_label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Filters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    doctor: Doctor | None = None
    specialty: Specialty | None = None
    # An MRN or part of a name, as typed (reports.selectors.patient_clause reads it).
    patient: str | None = None

    def as_kwargs(self, report: Report) -> dict[str, Any]:
        """The selector's keyword arguments: only the filters the report takes."""
        kwargs: dict[str, Any] = {}
        if FROM in report.filters:
            kwargs["date_from"] = self.date_from
        if TO in report.filters:
            kwargs["date_to"] = self.date_to
        if DOCTOR in report.filters:
            kwargs["doctor"] = self.doctor
        if SPECIALTY in report.filters:
            kwargs["specialty"] = self.specialty
        if PATIENT in report.filters:
            kwargs["patient"] = self.patient
        return kwargs

    def as_query(self) -> dict[str, str]:
        """The filters as the page's query string (and the audit log's record of an export)."""
        query = {}
        if self.date_from:
            query[FROM] = self.date_from.isoformat()
        if self.date_to:
            query[TO] = self.date_to.isoformat()
        if self.doctor:
            query[DOCTOR] = self.doctor.code
        if self.specialty:
            query[SPECIALTY] = self.specialty.name
        if self.patient:
            query[PATIENT] = self.patient
        return query


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    selector: Callable[..., selectors.ReportRows]
    columns: tuple[str, ...]
    roles: frozenset[str]
    filters: tuple[str, ...] = ()
    # Extra context for the page (a chart, summary figures) from the filters and fetched rows.
    page_context: Callable[[Filters, list[tuple]], dict[str, Any]] | None = None
    # The part of the page below the filters; the default is the chart (if any) and the table.
    body_template: str = "reports/_report_table.html"
    # The page shows at most this many rows; the CSV and the command have them all.
    page_rows: int = 500
    # A list of one row per patient, appointment or doctor: shown a page at a time (`size`
    # rows, 50 unless asked) by keyset on the selector's page key. Its selector takes `after`
    # (a page token; rows strictly after it) and `keyed` (each row then ends with its token).
    paged: bool = False
    # Aggregate rows with one grouping per doctor (appointment-patterns): the page lists a
    # page of `size` doctors by code after `after`; its selector takes `after` and `doctors`.
    doctor_paged: bool = False
    # Blank `from` and `to` mean the last DEFAULT_PERIOD_DAYS days on the page (shown in the
    # filter bar); the CSV and the command take the period as given.
    default_period: bool = False
    # Rows name patients (an "mrn" column) with figures of their medical history: each page
    # view is an audit row naming the patients shown, as a chart view is.
    clinical: bool = False
    # Columns of amounts: the page shows them as money in the hospital's currency
    # ("USD 1,234.50"); the CSV and the `report` command keep the plain numbers.
    money_columns: frozenset[str] = frozenset()
    column_labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_labels", tuple(column_label(c) for c in self.columns))
        if unknown := self.money_columns - set(self.columns):
            raise ValueError(f"{self.name}: money columns it does not have: {sorted(unknown)}")

    def rows(
        self,
        filters: Filters,
        *,
        limit: int | None = None,
        stream: bool = False,
        after: str | None = None,
        keyed: bool = False,
        doctors: int | None = None,
    ):
        kwargs = filters.as_kwargs(self)
        if self.paged:
            kwargs.update(after=after, keyed=keyed)
        if doctors is not None:
            kwargs.update(after=after, doctors=doctors)
        return self.selector(**kwargs, limit=limit, stream=stream)

    def allows(self, role: str | None) -> bool:
        return role in self.roles


def _appointments_context(filters: Filters, rows: list[tuple]) -> dict[str, Any]:
    counts = selectors.appointment_status_counts(
        date_from=filters.date_from,
        date_to=filters.date_to,
        doctor=filters.doctor,
        specialty=filters.specialty,
    )
    return {
        "status_counts": counts,
        "total": sum(n for _, _, n in counts),
        "chart": charts.status_bars(counts),
    }


def _chart(draw: Callable[[list[tuple]], Any]) -> Callable[[Filters, list[tuple]], dict]:
    """The `page_context` of a report whose page shows one chart drawn from its rows."""

    def page_context(filters: Filters, rows: list[tuple]) -> dict[str, Any]:
        return {"chart": draw(rows)}

    return page_context


def _bills_context(filters: Filters, rows: list[tuple]) -> dict[str, Any]:
    totals = selectors.patient_bill_totals()
    return {"totals": totals, "currency": totals.currency}  # read with the totals' settings


def _patterns_context(filters: Filters, rows: list[tuple]) -> dict[str, Any]:
    by_dimension: dict[str, list[dict[str, Any]]] = {"all": [], "doctor": [], "weekday": []}
    cells = []
    for row in rows:  # at most 1 + doctors + 7 + 168 aggregated rows
        if row[0] == "weekday_hour":
            cells.append(row)
        else:
            by_dimension[row[0]].append(dict(zip(selectors.PATTERNS_COLUMNS, row, strict=True)))
    return {
        "overall": by_dimension["all"][0] if by_dimension["all"] else None,
        "by_doctor": by_dimension["doctor"],
        "by_weekday": by_dimension["weekday"],
        "chart": charts.weekday_hour_heatmap(cells),
    }


PERIOD = (FROM, TO)
PERIOD_AND_DOCTOR = (FROM, TO, DOCTOR)
PERIOD_AND_DOCTORS = (FROM, TO, DOCTOR, SPECIALTY)


def _report(*, also_for: Iterable[str] = (), **fields: Any) -> Report:
    """A report the administrator may open, as may the roles `also_for`."""
    return Report(roles=frozenset({*also_for, roles.ADMINISTRATOR}), **fields)


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        _report(
            name="appointments",
            title="Appointments",
            description="A doctor's appointments in a period, by status.",
            selector=selectors.appointments_report,
            paged=True,
            columns=selectors.APPOINTMENTS_COLUMNS,
            also_for=(roles.FRONT_DESK, roles.DOCTOR),
            filters=PERIOD_AND_DOCTORS,
            default_period=True,
            page_context=_appointments_context,
        ),
        _report(
            name="doctor-workload",
            title="Doctor workload",
            description=(
                "Appointments per doctor by status, booked hours and how much of the working "
                "hours they fill."
            ),
            selector=selectors.doctor_workload_report,
            paged=True,
            columns=selectors.WORKLOAD_COLUMNS,
            also_for=(roles.DOCTOR,),
            filters=PERIOD_AND_DOCTORS,
            default_period=True,
            page_context=_chart(charts.workload_bars),
        ),
        _report(
            name="patient-health",
            title="Patient health",
            description="Distinct medications and surgeries per patient.",
            selector=selectors.patient_health_report,
            paged=True,
            columns=selectors.PATIENT_HEALTH_COLUMNS,
            filters=(*PERIOD, PATIENT),
            clinical=True,
        ),
        _report(
            name="patient-bills",
            title="Patient bills",
            description="What each patient's next invoice would total now, by the billing rule.",
            selector=selectors.patient_bills_report,
            paged=True,
            columns=selectors.PATIENT_BILLS_COLUMNS,
            money_columns=frozenset(
                {
                    "medication_total",
                    "surgery_total",
                    "consultation_total",
                    "total",
                    "tax",
                    "invoice_total",
                }
            ),
            also_for=(roles.BILLING_CLERK,),
            filters=(PATIENT,),
            page_context=_bills_context,
            # Per patient: what their medications and surgeries come to.
            clinical=True,
        ),
        _report(
            name="demographics",
            title="Demographics",
            description="Active patients by age band and sex, as a population pyramid.",
            selector=selectors.demographics_report,
            columns=selectors.DEMOGRAPHICS_COLUMNS,
            page_context=_chart(charts.population_pyramid),
        ),
        _report(
            name="appointment-patterns",
            title="Appointment patterns",
            description=(
                "Bookings by weekday and hour, no-show and cancellation rates by doctor and "
                "weekday, and how far ahead appointments are booked."
            ),
            selector=selectors.appointment_patterns_report,
            columns=selectors.PATTERNS_COLUMNS,
            also_for=(roles.FRONT_DESK,),
            filters=PERIOD_AND_DOCTOR,
            default_period=True,
            page_context=_patterns_context,
            body_template="reports/_appointment_patterns.html",
            doctor_paged=True,
        ),
        _report(
            name="revenue",
            title="Revenue",
            description="Invoiced, paid and outstanding per month, and by kind of line.",
            selector=selectors.revenue_report,
            columns=selectors.REVENUE_COLUMNS,
            # Every column but the month (`minimum_charge` is the money such lines brought in).
            money_columns=frozenset(selectors.REVENUE_COLUMNS) - {"month"},
            also_for=(roles.BILLING_CLERK,),
            filters=PERIOD,
            default_period=True,
            page_context=_chart(charts.revenue_columns),
        ),
        _report(
            name="waiting-times",
            title="Waiting times",
            description=(
                "How long checked-in patients waited to be called and to be seen, by doctor "
                "and hour of check-in."
            ),
            selector=selectors.waiting_times_report,
            paged=True,
            columns=selectors.WAITING_COLUMNS,
            also_for=(roles.DOCTOR,),
            filters=PERIOD_AND_DOCTORS,
            default_period=True,
            page_context=_chart(charts.waiting_bars),
        ),
    )
}


def reports_for_role(role: str | None) -> list[Report]:
    return [r for r in REPORTS.values() if r.allows(role)]


def names() -> Iterable[str]:
    return REPORTS.keys()
