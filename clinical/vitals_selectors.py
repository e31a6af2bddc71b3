"""Reads of vital signs: a visit's readings, a patient's trends, and every observation (for the
FHIR API). Each runs one query, whatever the number of readings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from appointments.models import Attendance
from clinical.vitals import BY_FIELD, VITALS, Vital
from clinical.vitals_models import VitalObservation, VitalsReading
from patients.models import Patient

TREND_READINGS = 20  # the chart shows each vital's last 20 readings


@dataclass(frozen=True)
class Measure:
    """One vital sign's value as a page shows it, with its flag (clinical.vitals)."""

    vital: Vital
    value: Decimal | int

    @property
    def flag(self) -> str:
        return self.vital.flag(self.value)

    def __str__(self) -> str:
        return self.vital.describe(self.value)


def measures(reading: VitalsReading) -> list[Measure]:
    """What a reading holds, in the order of clinical.vitals.VITALS (BMI last)."""
    return [
        Measure(vital, getattr(reading, vital.field))
        for vital in VITALS
        if getattr(reading, vital.field) is not None
    ]


def visit_readings(*, attendance: Attendance) -> list[VitalsReading]:
    """The readings of a visit, in the order taken. One query."""
    return list(VitalsReading.objects.filter(attendance=attendance).order_by("taken_at", "id"))


# The vitals each trend chart draws: blood pressure's two pressures share a chart.
TREND_FIELDS: dict[str, tuple[str, ...]] = {
    VitalObservation.Kind.BLOOD_PRESSURE: ("systolic", "diastolic"),
    VitalObservation.Kind.PULSE: ("pulse",),
    VitalObservation.Kind.TEMPERATURE: ("temperature",),
    VitalObservation.Kind.RESPIRATORY_RATE: ("respiratory_rate",),
    VitalObservation.Kind.SPO2: ("spo2",),
    VitalObservation.Kind.WEIGHT: ("weight",),
    VitalObservation.Kind.HEIGHT: ("height",),
    VitalObservation.Kind.BMI: ("bmi",),
}


@dataclass(frozen=True)
class Point:
    observation: VitalObservation
    values: tuple[Measure, ...]  # one per field of the trend (blood pressure: two)

    @property
    def flag(self) -> str:
        """The worst flag among its values ("high" before "low"), "" when all are normal."""
        flags = {m.flag for m in self.values}
        return "high" if "high" in flags else "low" if "low" in flags else ""


@dataclass(frozen=True)
class Trend:
    kind: str
    label: str
    vitals: tuple[Vital, ...]
    points: list[Point]  # oldest first

    @property
    def latest(self) -> Point:
        return self.points[-1]


def observations() -> QuerySet[VitalObservation]:
    """Every vital sign of every reading (the view clinical_vitalobservation)."""
    return VitalObservation.objects.all()


# Each vital's last readings of a patient: a window numbers each vital's rows newest first.
# Written as SQL because the chart runs it on every opening, and the ORM's window and the
# filter on it took several times longer to compile than the database to run them.
_TRENDS_SQL = f"""
SELECT * FROM (
    SELECT o.*, row_number() OVER (PARTITION BY o.kind ORDER BY o.taken_at DESC, o.id DESC)
               AS position
      FROM {VitalObservation._meta.db_table} o
     WHERE o.patient_id = %s
) numbered
 WHERE position <= %s
 ORDER BY taken_at, id
"""


def patient_trends(*, patient: Patient, last: int = TREND_READINGS) -> list[Trend]:
    """Each vital sign's `last` readings of the patient, oldest first, one trend per vital
    recorded at least once. One query."""
    rows = VitalObservation.objects.raw(_TRENDS_SQL, [patient.pk, last])
    by_kind: dict[str, list[Point]] = defaultdict(list)
    for row in rows:
        fields = TREND_FIELDS[row.kind]
        values = (row.value, row.value2)[: len(fields)]
        by_kind[row.kind].append(
            Point(
                row,
                tuple(
                    Measure(BY_FIELD[f], _typed(BY_FIELD[f], v))
                    for f, v in zip(fields, values, strict=True)
                ),
            )
        )
    return [
        Trend(kind, label, tuple(BY_FIELD[f] for f in TREND_FIELDS[kind]), by_kind[kind])
        for kind, label in VitalObservation.Kind.choices
        if by_kind.get(kind)
    ]


def _typed(vital: Vital, value: Decimal) -> Decimal | int:
    """Whole-number vitals as whole numbers (the view holds every value as numeric)."""
    return int(value) if vital.decimals == 0 else value


@dataclass(frozen=True)
class TableRow:
    taken_at: object
    cells: list[Point | None]  # one per trend, in the trends' order


def trends_table(trends: list[Trend]) -> list[TableRow]:
    """The trends' readings as one table, newest first: a row per reading, a column per
    trend (the charts' text alternative, and what prints)."""
    by_reading: dict[int, dict[str, Point]] = defaultdict(dict)
    taken: dict[int, object] = {}
    for trend in trends:
        for point in trend.points:
            by_reading[point.observation.reading_id][trend.kind] = point
            taken[point.observation.reading_id] = point.observation.taken_at
    order = sorted(by_reading, key=lambda r: (taken[r], r), reverse=True)
    return [TableRow(taken[r], [by_reading[r].get(t.kind) for t in trends]) for r in order]


@dataclass(frozen=True)
class Cell:
    text: str
    flag: str


# The columns of a readings table: blood pressure's two pressures share one.
READING_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Blood pressure (mmHg)", ("systolic", "diastolic")),
    ("Pulse (/min)", ("pulse",)),
    ("Temperature (°C)", ("temperature",)),
    ("Respiratory rate (/min)", ("respiratory_rate",)),
    ("SpO₂ (%)", ("spo2",)),
    ("Weight (kg)", ("weight",)),
    ("Height (cm)", ("height",)),
    ("BMI (kg/m²)", ("bmi",)),
)


def reading_cells(reading: VitalsReading) -> list[Cell | None]:
    """A reading as the cells of READING_COLUMNS (None where not measured), each flagged high
    or low when any of its values is."""
    cells: list[Cell | None] = []
    for _, fields in READING_COLUMNS:
        values = [getattr(reading, f) for f in fields]
        if any(v is None for v in values):
            cells.append(None)
            continue
        flags = {BY_FIELD[f].flag(v) for f, v in zip(fields, values, strict=True)}
        flag = "high" if "high" in flags else "low" if "low" in flags else ""
        cells.append(Cell("/".join(str(v) for v in values), flag))
    return cells
