"""Vital signs: what each one is, its unit, the range a reading must lie in to be believed
(`plausible`: outside it, a typing slip, refused by the form, the service and a database
CHECK constraint alike) and the adult normal range (`normal`: outside it, the reading is
flagged high or low). The one place these figures live: the model's constraints, the form's
fields, the service's messages, the chart's shaded band and the FHIR reference ranges are all
made from `VITALS`.

Normal ranges are for adults at rest (docs/clinical.md, *Vital signs*): blood pressure from
NICE NG136 (clinic hypertension from 140/90), pulse 60-100, temperature 36.0-37.9 °C
(fever from 38.0), respiratory rate 12-20, SpO₂ 95-100 %, BMI 18.5-24.9 (WHO). Weight and
height have no normal range of their own (BMI says what they mean together).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

HIGH, LOW = "high", "low"


@dataclass(frozen=True)
class Vital:
    field: str  # the reading's column
    label: str  # as a sentence starts with it
    unit: str  # as a person writes it
    plausible: tuple[Decimal, Decimal]  # inclusive; outside: refused
    normal: tuple[Decimal, Decimal] | None  # inclusive, adults; outside: flagged
    decimals: int = 0  # as recorded (0: whole numbers)
    entered: bool = True  # typed in (BMI is computed from weight and height)

    def describe(self, value: Decimal | int) -> str:
        """`value` with its unit, as the pages write it (`37.2 °C`, `82 /min`, `98 %`)."""
        return f"{value} {self.unit}"

    def flag(self, value: Decimal | int | None) -> str:
        """HIGH or LOW against the adult normal range, "" inside it (or without one)."""
        if value is None or self.normal is None:
            return ""
        low, high = self.normal
        if value < low:
            return LOW
        if value > high:
            return HIGH
        return ""

    def implausible(self, value: Decimal | int) -> str | None:
        """What to fix when `value` cannot be a real reading, else None."""
        low, high = self.plausible
        if low <= value <= high:
            return None
        return (
            f"{self.label} {self.describe(value)} is not plausible: enter between "
            f"{low} and {high} {self.unit}."
        )


def _d(text: str) -> Decimal:
    return Decimal(text)


VITALS: tuple[Vital, ...] = (
    Vital("systolic", "Systolic pressure", "mmHg", (_d("50"), _d("300")), (_d("90"), _d("139"))),
    Vital("diastolic", "Diastolic pressure", "mmHg", (_d("20"), _d("200")), (_d("60"), _d("89"))),
    Vital("pulse", "Pulse", "/min", (_d("20"), _d("250")), (_d("60"), _d("100"))),
    Vital(
        "temperature",
        "Temperature",
        "°C",
        (_d("25"), _d("45")),
        (_d("36.0"), _d("37.9")),
        decimals=1,
    ),
    Vital(
        "respiratory_rate", "Respiratory rate", "/min", (_d("4"), _d("80")), (_d("12"), _d("20"))
    ),
    Vital("spo2", "SpO₂", "%", (_d("50"), _d("100")), (_d("95"), _d("100"))),
    Vital("weight", "Weight", "kg", (_d("0.3"), _d("500")), None, decimals=1),
    Vital("height", "Height", "cm", (_d("20"), _d("260")), None, decimals=1),
    Vital(
        "bmi",
        "BMI",
        "kg/m²",
        (_d("0"), _d("9999")),
        (_d("18.5"), _d("24.9")),
        decimals=1,
        entered=False,
    ),
)
BY_FIELD: dict[str, Vital] = {v.field: v for v in VITALS}
ENTERED: tuple[Vital, ...] = tuple(v for v in VITALS if v.entered)
ENTERED_FIELDS: tuple[str, ...] = tuple(v.field for v in ENTERED)

NOTHING_ENTERED = "Enter at least one vital sign."
BP_PAIR = "Enter both blood pressures, systolic and diastolic, or neither."
BP_ORDER = (
    "Diastolic pressure {diastolic} mmHg must be lower than systolic {systolic} mmHg: "
    "check they are not swapped."
)


def check(values: Mapping[str, Any]) -> None:
    """Raise a ValidationError naming each field to fix: a value outside its plausible range,
    half a blood pressure, a diastolic not below the systolic, or nothing at all. The
    database holds the same rules (clinical.vitals_models)."""
    errors: dict[str, list[str]] = {}
    for vital in ENTERED:
        value = values.get(vital.field)
        if value is not None and (problem := vital.implausible(value)):
            errors.setdefault(vital.field, []).append(problem)
    if all(values.get(field) is None for field in ENTERED_FIELDS):
        errors.setdefault("__all__", []).append(NOTHING_ENTERED)
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if (systolic is None) != (diastolic is None):
        missing = "systolic" if systolic is None else "diastolic"
        errors.setdefault(missing, []).append(BP_PAIR)
    elif (
        systolic is not None
        and not {"systolic", "diastolic"} & errors.keys()
        and diastolic >= systolic
    ):
        errors.setdefault("diastolic", []).append(
            BP_ORDER.format(systolic=systolic, diastolic=diastolic)
        )
    if errors:
        raise ValidationError(errors)
