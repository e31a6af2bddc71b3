"""The chart's reads: a summary that costs the same at 5 visits as at 500.

The chart shows in full what a doctor must see at once (active problems, current medications,
allergies, the upcoming appointments) and, of each list that only grows (resolved problems,
past medications, surgeries, visits), the latest LATEST with the number of the others, which
their own pages list a page at a time, by key (`history_page`, `visits_page`). Every read is
a fixed number of queries, each bounded by the page, or by one patient's rows on an index.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import MedicationCost
from core.pagination import RowCompare
from patients.models import HistoryKind, Icd10Code, MedicalHistory, Patient

# How many of each growing list the chart itself shows.
LATEST = 5
# A page of one of those lists on its own page.
PAGE = 50
# The lists that only grow, by name: (kind, ended?) — None: every entry of the kind.
GROWING = {
    "resolved": (HistoryKind.CONDITION, True),
    "past": (HistoryKind.MEDICATION, True),
    "surgeries": (HistoryKind.SURGERY, None),
}
# What each of them is called on its page.
GROWING_TITLES = {
    "resolved": "Resolved conditions",
    "past": "Past medications",
    "surgeries": "Surgeries and procedures",
}


@dataclass
class Visit:
    attendance: Attendance
    entries: list[MedicalHistory] = field(default_factory=list)

    @property
    def medications(self) -> list[MedicalHistory]:
        return [e for e in self.entries if e.kind == HistoryKind.MEDICATION]

    @property
    def surgeries(self) -> list[MedicalHistory]:
        return [e for e in self.entries if e.kind == HistoryKind.SURGERY]


@dataclass
class Latest:
    """The latest rows of a list, and how many it has in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Chart:
    patient: Patient
    conditions_active: list[MedicalHistory]
    conditions_resolved: Latest
    surgeries: Latest
    medications_current: list[MedicalHistory]
    medications_past: Latest
    allergies: list[MedicalHistory]
    visits: list[Visit]
    visit_count: int
    upcoming: list[Appointment]
    distinct_medications: int
    distinct_surgeries: int


def _growing(patient: Patient, name: str) -> QuerySet[MedicalHistory]:
    kind, ended = GROWING[name]
    entries = MedicalHistory.objects.filter(patient=patient, kind=kind)
    if ended is not None:
        entries = entries.filter(ended_on__isnull=not ended)
    return entries


def _newest_first(entries: QuerySet[MedicalHistory]) -> QuerySet[MedicalHistory]:
    return entries.select_related("medication", "procedure", "icd10").order_by(
        "-recorded_on", "-id"
    )


# What the chart reads of the history, in one statement written as SQL because its cost is the
# page's (the ORM took longer to compile a union of these than the database to run it):
# - `picked`: the ids of the current entries (patients_history_current_idx); of the latest
#   LATEST of each growing list, each the head of an index range on (patient, kind, recorded
#   on, id), cut before any join whatever the statistics say of the patient's rows; of the
#   medications and surgeries given at the visits shown;
# - `figures`, one row: the size of each growing list; the distinct medications (by price-list
#   name, else description) and surgeries, case- and blank-blind, as the patient-health report
#   counts them; the number of visits;
# then the figures on every picked entry with its code's title, or alone for a patient with none.
_ENDED = {None: "", True: "AND {h}ended_on IS NOT NULL", False: "AND {h}ended_on IS NULL"}
_FIGURES = [f"figure_{name}" for name in GROWING] + [
    "distinct_medications",
    "distinct_surgeries",
    "visit_count",
]
_CHART_SQL = """
WITH picked (id, listed) AS (
    SELECT id, '' FROM {history} WHERE patient_id = %s AND kind = ANY(%s) AND ended_on IS NULL
{growing}
    UNION ALL
    SELECT id, 'visit' FROM {history} WHERE attendance_id = ANY(%s) AND kind = ANY(%s)
), figures AS (
    SELECT {counts},
           count(DISTINCT lower(trim(COALESCE(med.name, h.description))))
               FILTER (WHERE h.kind = %s) AS distinct_medications,
           count(DISTINCT lower(trim(h.description))) FILTER (WHERE h.kind = %s)
               AS distinct_surgeries,
           (SELECT count(*) FROM {visits} WHERE patient_id = %s) AS visit_count
      FROM {history} h
      LEFT JOIN {medications} med ON med.id = h.medication_id
     WHERE h.patient_id = %s
)
SELECT figures.*, h.*, picked.listed, code.title AS icd10_title
  FROM figures
  LEFT JOIN (
       picked
       JOIN {history} h ON h.id = picked.id
       LEFT JOIN {codes} code ON code.code = h.icd10_id
  ) ON true
""".format(
    history=MedicalHistory._meta.db_table,
    codes=Icd10Code._meta.db_table,
    visits=Attendance._meta.db_table,
    medications=MedicationCost._meta.db_table,
    growing="".join(
        f"    UNION ALL (SELECT id, %s FROM {MedicalHistory._meta.db_table}"
        f" WHERE patient_id = %s AND kind = %s {_ENDED[ended].format(h='')}"
        " ORDER BY recorded_on DESC, id DESC LIMIT %s)\n"
        for _kind, ended in GROWING.values()
    ),
    counts=",\n           ".join(
        f"count(*) FILTER (WHERE h.kind = %s {_ENDED[ended].format(h='h.')}) AS figure_{name}"
        for name, (_kind, ended) in GROWING.items()
    ),
)

CURRENT_KINDS = [HistoryKind.CONDITION, HistoryKind.MEDICATION, HistoryKind.ALLERGY]
GIVEN_KINDS = [HistoryKind.MEDICATION, HistoryKind.SURGERY]


def _chart_history(
    patient: Patient, visits: list[Attendance]
) -> tuple[dict[str, list[MedicalHistory]], dict[str, int]]:
    """The chart's entries by list ("": the current ones; a name of GROWING; "visit": given at
    `visits`), each newest first, with their ICD-10-CM codes; and its figures (`_FIGURES`).
    One query."""
    params: list = [patient.pk, [str(k) for k in CURRENT_KINDS]]
    for name, (kind, _ended) in GROWING.items():
        params += [name, patient.pk, str(kind), LATEST]
    params += [[a.pk for a in visits], [str(k) for k in GIVEN_KINDS]]
    params += [str(kind) for kind, _ended in GROWING.values()]
    params += [str(HistoryKind.MEDICATION), str(HistoryKind.SURGERY), patient.pk, patient.pk]
    listed: dict[str, list[MedicalHistory]] = defaultdict(list)
    figures: dict[str, int] = {}
    code_field = MedicalHistory._meta.get_field("icd10")
    for entry in MedicalHistory.objects.raw(_CHART_SQL, params):
        figures = {name: getattr(entry, name) for name in _FIGURES}
        if entry.pk is None:  # the figures of a patient with no entry to show
            continue
        if entry.icd10_id is not None:
            code_field.set_cached_value(
                entry, Icd10Code(code=entry.icd10_id, title=entry.icd10_title)
            )
        listed[entry.listed].append(entry)
    for rows in listed.values():
        rows.sort(key=lambda e: (e.recorded_on, e.pk), reverse=True)
    return listed, figures


def patient_chart(*, patient: Patient, now: datetime.datetime | None = None) -> Chart:
    """Everything the chart shows, in three queries whatever the size of the record (a new
    patient's as many): the latest visits; the entries (the current ones, the latest of each
    growing list, those given at the visits) and the figures; the upcoming appointments."""
    now = now or timezone.now()
    # The latest visits: their ids first, from the patient's rows of two indexes and no other
    # join (the visit's appointment is the patient's own, and the appointment breaks ties of
    # start: a visit has one), then those visits with their doctors.
    newest = ("-appointment__start", "-appointment_id")
    latest = Attendance.objects.filter(patient=patient, appointment__patient=patient)
    attendances = list(
        Attendance.objects.filter(pk__in=latest.order_by(*newest).values("pk")[:LATEST])
        .select_related("appointment__doctor")
        .order_by(*newest)
    )
    listed, counts = _chart_history(patient, attendances)
    given: dict[int, list[MedicalHistory]] = defaultdict(list)
    for entry in sorted(listed["visit"], key=lambda e: e.pk):
        given[entry.attendance_id].append(entry)
    upcoming = list(
        Appointment.objects.filter(
            patient=patient,
            end__gt=now,
            status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN],
        )
        .select_related("doctor")
        .order_by("start")[:20]
    )
    by_kind: dict[str, list[MedicalHistory]] = defaultdict(list)
    for entry in listed[""]:
        by_kind[entry.kind].append(entry)
    return Chart(
        patient=patient,
        conditions_active=by_kind[HistoryKind.CONDITION],
        conditions_resolved=Latest(listed["resolved"], counts["figure_resolved"]),
        surgeries=Latest(listed["surgeries"], counts["figure_surgeries"]),
        medications_current=by_kind[HistoryKind.MEDICATION],
        medications_past=Latest(listed["past"], counts["figure_past"]),
        allergies=sorted(by_kind[HistoryKind.ALLERGY], key=lambda e: e.description.lower()),
        visits=[Visit(a, given.get(a.pk, [])) for a in attendances],
        visit_count=counts["visit_count"],
        upcoming=upcoming,
        distinct_medications=counts["distinct_medications"],
        distinct_surgeries=counts["distinct_surgeries"],
    )


# --- The growing lists, a page at a time ------------------------------------------------------


def _key_text(day: datetime.date | datetime.datetime, pk: int) -> str:
    return f"{day.isoformat()}_{pk}"


def read_key(text: str | None, *, moment: bool) -> tuple | None:
    """The (date or time, id) a page starts after, from its link; None for the first page or
    a key that cannot be read (a link edited by hand starts again from the newest)."""
    if not text or "_" not in text:
        return None
    when, _, pk = text.rpartition("_")
    try:
        parsed = (
            datetime.datetime.fromisoformat(when) if moment else datetime.date.fromisoformat(when)
        )
        if moment and timezone.is_naive(parsed):
            return None
        return parsed, int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class HistoryPage:
    entries: list[MedicalHistory]
    next_key: str | None


def history_page(
    *, patient: Patient, name: str, before: tuple | None, size: int = PAGE
) -> HistoryPage:
    """A page of one growing list (`name` of GROWING), newest first, after the key `before`
    (recorded on, id): one index range on (patient, kind, recorded on)."""
    entries = _newest_first(_growing(patient, name))
    if before is not None:
        entries = entries.filter(RowCompare(("recorded_on", "id"), "<", list(before)))
    rows = list(entries[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return HistoryPage(rows, _key_text(rows[-1].recorded_on, rows[-1].pk) if more else None)


@dataclass
class VisitsPage:
    visits: list[Visit]
    next_key: str | None


def visits_page(*, patient: Patient, before: tuple | None, size: int = PAGE) -> VisitsPage:
    """A page of the patient's visits, newest first, after the key `before` (the
    appointment's start and id), each with the medications and surgeries recorded at
    it: three queries."""
    # Walked on the appointments' (patient, start) index: the visit's appointment is the
    # patient's own, and the appointment breaks ties of start (a visit has one).
    # The page's visits first (the patient's rows of two indexes, no other join), then those
    # with their doctors by primary key.
    ordered = Attendance.objects.filter(patient=patient, appointment__patient=patient).order_by(
        "-appointment__start", "-appointment_id"
    )
    if before is not None:
        ordered = ordered.filter(
            RowCompare(("appointment__start", "appointment_id"), "<", list(before))
        )
    ids = list(ordered.values_list("pk", flat=True)[: size + 1])
    found = Attendance.objects.select_related("appointment__doctor").in_bulk(ids)
    rows = [found[pk] for pk in ids]
    more = len(rows) > size
    rows = rows[:size]
    given: dict[int, list[MedicalHistory]] = defaultdict(list)
    for entry in (
        MedicalHistory.objects.filter(
            attendance__in=[a.pk for a in rows],
            kind__in=[HistoryKind.MEDICATION, HistoryKind.SURGERY],
        )
        .select_related("medication", "procedure")
        .order_by("id")
    ):
        given[entry.attendance_id].append(entry)
    last = rows[-1] if more else None
    return VisitsPage(
        [Visit(a, given.get(a.pk, [])) for a in rows],
        _key_text(last.appointment.start, last.appointment_id) if last else None,
    )
