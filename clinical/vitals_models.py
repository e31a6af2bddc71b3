"""The vital signs taken at a visit: `VitalsReading`, and `VitalObservation`, the readings one
vital sign at a time (a database view, read-only: the chart's trends and FHIR Observation).

A visit may have several readings, each with the time it was taken: a clinic re-takes a high
blood pressure after five minutes' rest, a ward takes a set every few hours. Each reading
holds what was measured then (any of the vitals, at least one); BMI is a generated column,
computed by PostgreSQL from the weight and height of the same reading, never typed.
The plausible ranges of clinical.vitals are CHECK constraints: they hold against the
application's own login and any raw INSERT.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.urls import reverse

from clinical.vitals import BP_PAIR, ENTERED, ENTERED_FIELDS, NOTHING_ENTERED
from core.models import TimeStampedModel


def _range_constraints() -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{v.field}__isnull": True})
            | Q(**{f"{v.field}__gte": v.plausible[0], f"{v.field}__lte": v.plausible[1]}),
            name=f"%(app_label)s_%(class)s_{v.field}_plausible",
            violation_error_message=f"{v.label} is not plausible: enter between "
            f"{v.plausible[0]} and {v.plausible[1]} {v.unit}.",
        )
        for v in ENTERED
    ]


def _any_entered() -> Q:
    condition = Q()
    for field in ENTERED_FIELDS:
        condition |= Q(**{f"{field}__isnull": False})
    return condition


class VitalsReading(TimeStampedModel):
    attendance = models.ForeignKey(
        "appointments.Attendance", on_delete=models.PROTECT, related_name="vitals_readings"
    )
    taken_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField("systolic (mmHg)", null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField("diastolic (mmHg)", null=True, blank=True)
    pulse = models.PositiveSmallIntegerField("pulse (/min)", null=True, blank=True)
    temperature = models.DecimalField(
        "temperature (°C)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        "respiratory rate (/min)", null=True, blank=True
    )
    spo2 = models.PositiveSmallIntegerField("SpO₂ (%)", null=True, blank=True)
    weight = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    height = models.DecimalField(
        "height (cm)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    # kg / m², to one decimal; NULL unless both weight and height were taken.
    bmi = models.GeneratedField(
        expression=Round(F("weight") / (F("height") * F("height") / 10000), 1),
        output_field=models.DecimalField(max_digits=6, decimal_places=1),
        db_persist=True,
        verbose_name="BMI (kg/m²)",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["attendance", "taken_at", "id"]
        verbose_name = "vital signs reading"
        constraints = [
            *_range_constraints(),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(systolic__isnull=False, diastolic__isnull=False),
                name="%(app_label)s_%(class)s_blood_pressure_pair",
                violation_error_message=BP_PAIR,
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True) | Q(diastolic__lt=F("systolic")),
                name="%(app_label)s_%(class)s_diastolic_below_systolic",
                violation_error_message="The diastolic pressure must be lower than the "
                "systolic: check they are not swapped.",
            ),
            models.CheckConstraint(
                condition=_any_entered(),
                name="%(app_label)s_%(class)s_something_measured",
                violation_error_message=NOTHING_ENTERED,
            ),
        ]
        # The visit page lists its readings: the attendance foreign key's index serves it; the
        # chart's trends read VitalObservation by patient (through appointments_attendance's
        # patient index, then this one).

    def __str__(self) -> str:
        return f"Vital signs at {self.taken_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("clinical:visit_record", args=[self.attendance_id])


class VitalObservation(models.Model):
    """One vital sign of one reading (blood pressure: both pressures): a row of the view
    `clinical_vitalobservation`, which unfolds each reading into a row per vital measured.
    `id` is the reading's id × 10 + the vital's `number` (1 blood pressure … 8 BMI), stable
    for as long as the reading is."""

    class Kind(models.TextChoices):
        BLOOD_PRESSURE = "blood_pressure", "Blood pressure"
        PULSE = "pulse", "Pulse"
        TEMPERATURE = "temperature", "Temperature"
        RESPIRATORY_RATE = "respiratory_rate", "Respiratory rate"
        SPO2 = "spo2", "SpO₂"
        WEIGHT = "weight", "Weight"
        HEIGHT = "height", "Height"
        BMI = "bmi", "BMI"

    id = models.BigIntegerField(primary_key=True)
    reading = models.ForeignKey(VitalsReading, on_delete=models.DO_NOTHING, related_name="+")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.DO_NOTHING, related_name="+")
    attendance = models.ForeignKey(
        "appointments.Attendance", on_delete=models.DO_NOTHING, related_name="+"
    )
    taken_at = models.DateTimeField()
    value = models.DecimalField(max_digits=6, decimal_places=1)
    # Blood pressure: the diastolic (`value` is the systolic); NULL otherwise.
    value2 = models.DecimalField(max_digits=6, decimal_places=1, null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "clinical_vitalobservation"
        ordering = ["reading", "number"]
        verbose_name = "vital sign observation"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.taken_at:%Y-%m-%d %H:%M}"
