"""Reads for the clinical pages. Each function runs a fixed number of queries, whatever the
number of visits or entries a patient has."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from appointments.selectors import appointments_between
from billing.models import MedicationCost, ProcedureFee
from clinical import access
from clinical.models import VisitItem
from core.dates import local_day_bounds
from core.models import AuditEvent, naming_patient
from core.pagination import MAX_PAGE
from doctors.models import Doctor
from patients.icd10 import icd10_search as icd10_search  # by code or words (see there)
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision, Patient

# --- The doctor's day -----------------------------------------------------------------------


@dataclass(frozen=True)
class DayRow:
    appointment: Appointment
    attendance: Attendance | None
    state: str  # scheduled | waiting | in_visit | done | closed
    since: datetime.datetime | None  # checked in (waiting) or started (in visit)

    @property
    def minutes(self) -> int | None:
        if self.since is None:
            return None
        return max(0, int((timezone.now() - self.since).total_seconds() // 60))


def _state(appointment: Appointment, attendance: Attendance | None) -> tuple[str, object]:
    status = appointment.status
    if status == AppointmentStatus.COMPLETED:
        return "done", None
    if status == AppointmentStatus.CHECKED_IN and attendance is not None:
        if attendance.started_at is not None:
            return "in_visit", attendance.started_at
        return "waiting", attendance.checked_in_at
    if status == AppointmentStatus.SCHEDULED:
        return "scheduled", None
    return "closed", None


def doctor_day(*, doctor: Doctor, day: datetime.date) -> list[DayRow]:
    """A doctor's appointments of one day in order, with patient and visit. One query."""
    # The doctor comes along for may_run_visit on each row.
    appointments = (
        appointments_between(day_from=day, day_to=day, doctor_ids=[doctor.pk])
        .select_related("attendance", "doctor")
        .order_by("start", "id")
    )
    rows = []
    for appointment in appointments:
        attendance = getattr(appointment, "attendance", None)
        state, since = _state(appointment, attendance)
        rows.append(DayRow(appointment, attendance, state, since))
    return rows


def doctors_for_picker() -> QuerySet[Doctor]:
    return Doctor.objects.filter(is_active=True).order_by("last_name", "first_name")


# --- The chart ------------------------------------------------------------------------------


# The chart's reads are in clinical/chart.py; its names are read from here as before.
from clinical.chart import Chart, Visit, patient_chart  # noqa: E402, F401


def patient_allergies(*, patient: Patient) -> list[MedicalHistory]:
    """The allergies a header shows. One query."""
    return list(
        MedicalHistory.objects.filter(patient=patient, kind=HistoryKind.ALLERGY).order_by(
            "description"
        )
    )


def entry_revisions(*, entry: MedicalHistory) -> list[MedicalHistoryRevision]:
    """Earlier versions of an entry, newest first, with their authors. One query."""
    return list(
        entry.revisions.select_related(
            "medication", "procedure", "icd10", "written_by", "superseded_by"
        ).order_by("-version")
    )


# --- A visit --------------------------------------------------------------------------------


@dataclass
class VisitPage:
    attendance: Attendance
    items: list[VisitItem]
    entries: list[MedicalHistory]
    allergies: list[MedicalHistory]

    def items_of(self, kind: str) -> list[VisitItem]:
        return [i for i in self.items if i.kind == kind]


def visit_page(*, attendance: Attendance) -> VisitPage:
    """A visit with its draft items, the entries recorded at it and the patient's allergies.
    Three queries."""
    items = list(attendance.visit_items.select_related("medication", "procedure", "icd10"))
    entries = list(
        attendance.history_entries.select_related("medication", "procedure", "icd10").order_by(
            "kind", "id"
        )
    )
    return VisitPage(
        attendance=attendance,
        items=items,
        entries=entries,
        allergies=patient_allergies(patient=attendance.patient),
    )


def visit_items(*, attendance: Attendance, kind: str) -> list[VisitItem]:
    """The draft items of one kind of a visit: its section of the visit page. One query."""
    return list(
        attendance.visit_items.filter(kind=kind).select_related("medication", "procedure", "icd10")
    )


def medication_choices() -> QuerySet[MedicationCost]:
    return MedicationCost.objects.filter(is_active=True).order_by("name")


def procedure_choices() -> QuerySet[ProcedureFee]:
    return ProcedureFee.objects.filter(is_active=True).order_by("name")


# --- Billable items (billing clerks) --------------------------------------------------------


def billable_items(*, patient: Patient) -> QuerySet[MedicalHistory]:
    """A patient's billable medication and surgery entries, with the visit's date and doctor.

    `only()` keeps the visit's diagnosis and notes out of the query altogether: clerks see
    billable items, never clinical notes. One query.
    """
    return (
        MedicalHistory.objects.billable()
        .filter(patient=patient)
        .select_related("medication", "procedure", "attendance__appointment__doctor")
        .only(
            "kind",
            "description",
            "quantity",
            "recorded_on",
            "patient_id",
            "medication__name",
            "medication__unit_cost",
            "procedure__name",
            "procedure__fee",
            "attendance__id",
            "attendance__appointment__id",
            "attendance__appointment__start",
            "attendance__appointment__doctor__id",
            "attendance__appointment__doctor__first_name",
            "attendance__appointment__doctor__last_name",
        )
        .order_by("-recorded_on", "-id")
    )


# --- Records for other systems (the FHIR API) -------------------------------------------------


def visits() -> QuerySet[Attendance]:
    """Every visit, with its appointment and doctor (joined: no query per row)."""
    return Attendance.objects.select_related("appointment__doctor")


def history_entries(*, kind: str) -> QuerySet[MedicalHistory]:
    """The history entries of one kind, with their price-list rows (joined)."""
    return MedicalHistory.objects.filter(kind=kind).select_related("medication", "procedure")


def readable_history(*, user: Any, entries: QuerySet[MedicalHistory]) -> QuerySet[MedicalHistory]:
    """`entries` narrowed to what `user` may read: all of them for whoever reads the chart,
    the billable ones for billing clerks (the billable-items page's rule), none otherwise."""
    if access.has_need(user, access.Need.CHART):
        return entries
    if access.has_need(user, access.Need.BILLABLE_ITEMS):
        return entries.billable()
    return entries.none()


# --- The audit log --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    username: str = ""
    patient: Patient | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    action: str = ""


def audit_events(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The audit log, newest first, filtered. Each filter has an index (actor, patient,
    created_at) except the username, which is matched case-blind on the recorded name."""
    events = AuditEvent.objects.select_related("patient").order_by("-created_at", "-id")
    if filters.username:
        events = events.filter(actor_username__iexact=filters.username.strip())
    if filters.patient is not None:
        events = events.filter(naming_patient(filters.patient.pk))
    if filters.date_from is not None:
        events = events.filter(created_at__gte=local_day_bounds(filters.date_from)[0])
    if filters.date_to is not None:
        events = events.filter(created_at__lt=local_day_bounds(filters.date_to)[1])
    if filters.action:
        events = events.filter(action=filters.action)
    return events


AUDIT_EXPORT_COLUMNS = (
    "position",
    "id",
    "time",
    "user",
    "user_id",
    "action",
    "object_type",
    "object_id",
    "object",
    "patient_mrn",
    "patient_id",
    "address",
    "path",
    "changes",
    "previous_hash",
    "hash",
)


def audit_export_rows(*, filters: AuditFilters, chunk: int = 2000) -> Iterator[tuple]:
    """The filtered log as rows of AUDIT_EXPORT_COLUMNS, oldest first in the hash chain's
    order (so each row's previous hash is the hash of the row before it when nothing is
    filtered out). One query, read through a server-side cursor `chunk` rows at a time:
    memory and queries stay the same however long the range."""
    events = audit_events(filters=filters).order_by("chain_seq")
    for e in events.iterator(chunk_size=chunk):
        yield (
            e.chain_seq,
            e.pk,
            timezone.localtime(e.created_at).isoformat(),
            e.actor_username,
            e.actor_id,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.patient.mrn if e.patient else "",
            e.patient_id,
            e.ip_address,
            e.path,
            json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
            e.prev_hash,
            e.row_hash,
        )


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    has_previous: bool
    has_next: bool


def page_of(queryset: QuerySet, *, number: int, size: int = 50) -> Page:
    """One page without counting the rows: a COUNT(*) over a large audit log costs a full
    index scan, so the page fetches one row more than it shows to know whether another
    follows. One query."""
    number = min(max(1, number), MAX_PAGE)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(
        items=rows[:size], number=number, has_previous=number > 1, has_next=len(rows) > size
    )


@dataclass(frozen=True)
class AccessSummary:
    username: str
    views: int
    changes: int
    first: datetime.datetime
    last: datetime.datetime


def patient_access_summary(*, patient: Patient) -> list[AccessSummary]:
    """Who opened or changed this patient's record (list and report views that showed the
    patient included), how often, first and last time. One query over two indexes."""
    rows = (
        AuditEvent.objects.filter(naming_patient(patient.pk))
        .values("actor_username")
        .annotate(
            views=Count("id", filter=Q(action=AuditEvent.Action.VIEW)),
            changes=Count("id", filter=~Q(action=AuditEvent.Action.VIEW)),
            first=Min("created_at"),
            last=Max("created_at"),
        )
        .order_by("-last")
    )
    return [
        AccessSummary(
            username=r["actor_username"] or "system",
            views=r["views"],
            changes=r["changes"],
            first=r["first"],
            last=r["last"],
        )
        for r in rows
    ]
