"""Observation: one vital sign of a reading taken at a visit (clinical.vitals_models.
VitalObservation, a row of the view unfolding clinical_vitalsreading), in the shape of FHIR
R4's vital-signs profile: category vital-signs, a LOINC code, a UCUM quantity, the patient,
the visit (Encounter) and the time it was taken. Blood pressure is the panel 85354-9 with its
systolic (8480-6) and diastolic (8462-4) components. The adult normal range of
clinical.vitals is the referenceRange, and a value outside it is interpreted H or L.

Ids are the reading's id × 10 + the vital's number (1 blood pressure … 8 BMI).
Search: `patient`, `code` (LOINC), `category` (vital-signs), `date` (the time taken).
Doctors and administrators read it, as they read the chart; every read is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.observation import Observation

from clinical import vitals_selectors
from clinical.vitals import BY_FIELD, Vital
from clinical.vitals_models import VitalObservation
from fhir.errors import BadRequest
from fhir.kinds import Keyset, Plan, ResourceType, SearchParam
from fhir.mappings import clinical
from fhir.mappings.common import meta, present
from fhir.search import Token, any_of, moment_condition

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# The category value set's codes: vital-signs is the hospital's; the others match nothing.
CATEGORY_CODES = (
    "social-history",
    "vital-signs",
    "imaging",
    "laboratory",
    "procedure",
    "survey",
    "exam",
    "therapy",
    "activity",
)
K = VitalObservation.Kind


@dataclass(frozen=True)
class Coded:
    """A vital as FHIR codes it: its LOINC codes (the profile's first), their display, and
    its UCUM unit."""

    codes: tuple[str, ...]
    display: str
    ucum: str


CODES: dict[str, Coded] = {
    K.BLOOD_PRESSURE: Coded(("85354-9",), "Blood pressure panel with all children optional", ""),
    K.PULSE: Coded(("8867-4",), "Heart rate", "/min"),
    K.TEMPERATURE: Coded(("8310-5",), "Body temperature", "Cel"),
    K.RESPIRATORY_RATE: Coded(("9279-1",), "Respiratory rate", "/min"),
    # The profile's code, and the pulse oximetry code a reader of SpO₂ may look for.
    K.SPO2: Coded(
        ("2708-6", "59408-5"), "Oxygen saturation in Arterial blood by Pulse oximetry", "%"
    ),
    K.WEIGHT: Coded(("29463-7",), "Body weight", "kg"),
    K.HEIGHT: Coded(("8302-2",), "Body height", "cm"),
    K.BMI: Coded(("39156-5",), "Body mass index (BMI) [Ratio]", "kg/m2"),
}
SYSTOLIC = Coded(("8480-6",), "Systolic blood pressure", "mm[Hg]")
DIASTOLIC = Coded(("8462-4",), "Diastolic blood pressure", "mm[Hg]")
KIND_OF_CODE = {code: kind for kind, coded in CODES.items() for code in coded.codes}


def _concept(coded: Coded, text: str) -> dict[str, Any]:
    return {
        "coding": [{"system": LOINC, "code": c, "display": coded.display} for c in coded.codes],
        "text": text,
    }


def _quantity(value: Decimal, vital: Vital, ucum: str) -> dict[str, Any]:
    number = int(value) if vital.decimals == 0 else value
    return {"value": number, "unit": vital.unit, "system": UCUM, "code": ucum}


def _judged(value: Decimal, vital: Vital, ucum: str) -> dict[str, Any]:
    """The interpretation (H, L or N) and the adult normal range of a value, when the vital
    has a normal range."""
    if vital.normal is None:
        return {}
    flag = vital.flag(value)
    code, display = {"high": ("H", "High"), "low": ("L", "Low")}.get(flag, ("N", "Normal"))
    low, high = vital.normal
    return {
        "interpretation": [
            {"coding": [{"system": INTERPRETATION, "code": code, "display": display}]}
        ],
        "referenceRange": [
            {
                "low": _quantity(low, vital, ucum),
                "high": _quantity(high, vital, ucum),
                "text": "Adult normal range",
            }
        ],
    }


def to_resource(row: VitalObservation) -> Observation:
    coded = CODES[row.kind]
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(row.pk),
        "meta": meta(row),
        "status": "final",
        "category": [
            {
                "coding": [{"system": CATEGORY, "code": "vital-signs", "display": "Vital Signs"}],
                "text": "Vital Signs",
            }
        ],
        "code": _concept(coded, row.get_kind_display()),
        "subject": clinical.patient_reference(row.patient_id),
        "encounter": clinical.encounter_reference(row.attendance_id),
        "effectiveDateTime": timezone.localtime(row.taken_at).isoformat(),
        "issued": timezone.localtime(row.created_at).isoformat(),
    }
    if row.kind == K.BLOOD_PRESSURE:
        data["component"] = [
            {
                "code": _concept(part, BY_FIELD[field].label),
                "valueQuantity": _quantity(value, BY_FIELD[field], part.ucum),
                **_judged(value, BY_FIELD[field], part.ucum),
            }
            for part, field, value in (
                (SYSTOLIC, "systolic", row.value),
                (DIASTOLIC, "diastolic", row.value2),
            )
        ]
    else:
        vital = BY_FIELD[row.kind]
        data["valueQuantity"] = _quantity(row.value, vital, coded.ucum)
        data |= _judged(row.value, vital, coded.ucum)
    return Observation.model_validate(present(data))


@dataclass(frozen=True)
class ByReading(Keyset):
    """Readings in id order, each reading's vitals in their order: a page after (reading,
    number) also says `reading >= its reading`, a range of the readings' primary key (the
    row comparison alone, on a view's computed column, bounds nothing an index can use)."""

    columns: tuple[str, ...] = ("reading_id", "number")

    def after(self, queryset: QuerySet, key: Sequence[Any]) -> QuerySet:
        return super().after(queryset.filter(reading_id__gte=key[0]), key)


def _get(pk: int) -> VitalObservation | None:
    """The id's reading and vital: the reading's primary key, not a scan of the view."""
    reading, number = divmod(pk, 10)
    return vitals_selectors.observations().filter(reading_id=reading, number=number).first()


def _code(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        kind = KIND_OF_CODE.get(token.code)
        if kind is None or not token.in_system(LOINC):
            return Q(pk__in=[])  # a code the hospital does not record
        return Q(kind=kind)

    for value in values:
        plan.where(any_of(value, match))


def _category(plan: Plan, values: list[str]) -> None:
    def match(value: str) -> Q:
        token = Token.parse(value)
        if token.code not in CATEGORY_CODES or not token.in_system(CATEGORY):
            raise BadRequest(
                f"category: '{value[:40]}' is none of {', '.join(CATEGORY_CODES)} "
                f"(system {CATEGORY})."
            )
        return Q(pk__isnull=False) if token.code == "vital-signs" else Q(pk__in=[])

    for value in values:
        plan.where(any_of(value, match))


def _date(plan: Plan, values: list[str]) -> None:
    for value in values:
        plan.where(any_of(value, lambda one: moment_condition("taken_at", one, param="date")))


TYPE = ResourceType(
    name="Observation",
    documentation=(
        "A vital sign taken at a visit (vital-signs profile): blood pressure (panel 85354-9 "
        "with systolic 8480-6 and diastolic 8462-4), pulse 8867-4, temperature 8310-5, "
        "respiratory rate 9279-1, SpO2 2708-6/59408-5, weight 29463-7, height 8302-2, BMI "
        "39156-5; UCUM units, the adult normal range and H/L/N. Doctors and administrators "
        "read it, as they read the chart; every read is audited."
    ),
    allows=clinical.reads_chart,
    refusal=clinical.CHART_REFUSAL.format(what="vital signs"),
    start=lambda: Plan(base=vitals_selectors.observations(), keyset=ByReading()),
    get=_get,
    to_resource=to_resource,
    patient_ids=clinical.patient_ids,
    for_patient=lambda patient: (
        vitals_selectors.observations().filter(patient=patient).order_by("taken_at", "id")
    ),
    params=(
        clinical.PATIENT,
        SearchParam(
            "code",
            "token",
            "The vital's LOINC code (system http://loinc.org), e.g. 8867-4 (pulse) or 85354-9 "
            "(blood pressure); a code the hospital does not record matches nothing.",
            _code,
        ),
        SearchParam(
            "category",
            "token",
            "vital-signs (every observation served); the category value set's other codes "
            "match nothing.",
            _category,
        ),
        SearchParam(
            "date",
            "date",
            "When it was taken: YYYY, YYYY-MM or YYYY-MM-DD (days in the hospital's time "
            "zone) or a dateTime, with a prefix eq (default), ge, le, gt or lt.",
            _date,
        ),
    ),
)
