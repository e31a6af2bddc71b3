"""Recurring series of appointments: the rule they were booked by (RFC 5545's RRULE).

Each occurrence is a real `Appointment` (its `series`, `series_index` and `series_start`, the
start the rule gave it), under the same exclusion constraints as any other; an occurrence whose
`start` differs from its `series_start` is an exception of the series (moved), not a break of
it. Booking and changing live in `appointments.series_services`, the check of every occurrence
in `appointments.series_plan`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStampedModel

# How the reason of an occurrence cancelled by a change of its series' repeat rule begins
# ("Series changed: every 2 weeks on Tuesday at 10:00, 4 times"); the new series' booking
# message finds the ones it replaced by it.
SERIES_CHANGED = "Series changed"


class AppointmentSeries(TimeStampedModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointment_series"
    )
    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="appointment_series"
    )
    # The RFC 5545 recurrence rule without its "RRULE:" prefix, e.g. FREQ=WEEKLY;COUNT=10.
    rule = models.CharField(max_length=255)
    first_start = models.DateTimeField()
    length = models.DurationField()
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The series this one replaces from its first appointment on (the desk changed that one's
    # repeat rule: appointments.series_rule_services); empty for a series booked afresh.
    continues = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="continued_by",
        help_text="The series whose repeat rule changed: this one replaces it from its start.",
    )

    class Meta:
        ordering = ["first_start", "id"]
        verbose_name = "appointment series"
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=Q(length__gt=datetime.timedelta(0)),
                name="%(app_label)s_%(class)s_length_positive",
                violation_error_message="A series' appointments must last some time.",
            ),
            models.CheckConstraint(
                condition=~Q(rule=""),
                name="%(app_label)s_%(class)s_rule_given",
                violation_error_message="A series needs its repeat rule.",
            ),
        ]

    def __str__(self) -> str:
        return f"Series of {self.patient} with {self.doctor} from {self.first_start:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        # Its first occurrence's page shows the series (a series is never booked empty).
        first = self.occurrences.order_by("series_index").first()
        if first is None:
            return reverse("appointments:calendar_day")
        return reverse("appointments:appointment_detail", args=[first.pk])


def occurrence_constraints() -> list[models.BaseConstraint]:
    """Appointment's rules for its series fields: all three or none; one occurrence per index."""
    return [
        models.CheckConstraint(
            condition=Q(series__isnull=True, series_index__isnull=True, series_start__isnull=True)
            | Q(series__isnull=False, series_index__isnull=False, series_start__isnull=False),
            name="%(app_label)s_%(class)s_series_fields_together",
            violation_error_message="An occurrence names its series, its number and its start.",
        ),
        models.UniqueConstraint(
            fields=["series", "series_index"],
            name="%(app_label)s_%(class)s_series_index_unique",
            violation_error_message="A series has one appointment per occurrence.",
        ),
    ]
