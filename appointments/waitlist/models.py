"""The waitlist: patients waiting for a doctor or a specialty, and the offers of freed slots
made to them. Models of the appointments app (imported at the end of appointments.models).

The rules PostgreSQL holds (migration 0008_waitlist): a waiter names a doctor or a specialty,
never both; one open offer per slot and at most one open offer per waiter (partial unique
indexes); an offer is closed as taken the moment an appointment of any writer takes its time
(a trigger), and an offer can never book a taken time (the appointments' exclusion
constraint refuses it).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.models import TimeStampedModel

# Monday is bit 0, as WorkingHours.weekday 0 is Monday; 127 is every day.
EVERY_DAY = 0b1111111
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class WaitPriority(models.IntegerChoices):
    URGENT = 1, "Urgent"
    SOON = 2, "Soon"
    NORMAL = 3, "Normal"
    ROUTINE = 4, "Routine"


class WaitStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked"
    REMOVED = "removed", "Removed"


class WaitlistEntry(TimeStampedModel):
    """A patient waiting for a slot: with one doctor, or with any doctor of a specialty,
    between two dates, on some weekdays, within some hours. Waiting since `created_at`."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    doctor = models.ForeignKey(
        "doctors.Doctor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    specialty = models.ForeignKey(
        "doctors.Specialty", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    day_from = models.DateField("from")
    day_to = models.DateField("until")
    weekdays = models.PositiveSmallIntegerField(default=EVERY_DAY)
    earliest = models.TimeField("not before", null=True, blank=True)
    latest = models.TimeField("ending by", null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        choices=WaitPriority.choices, default=WaitPriority.NORMAL
    )
    note = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=WaitStatus.choices, default=WaitStatus.WAITING)
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["priority", "created_at", "id"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(doctor__isnull=False, specialty__isnull=True)
                | Q(doctor__isnull=True, specialty__isnull=False),
                name="%(app_label)s_%(class)s_doctor_or_specialty",
                violation_error_message="Wait for one doctor or for a specialty, not both.",
            ),
            models.CheckConstraint(
                condition=Q(day_to__gte=F("day_from")),
                name="%(app_label)s_%(class)s_dates_in_order",
                violation_error_message="The last day comes on or after the first day.",
            ),
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=EVERY_DAY),
                name="%(app_label)s_%(class)s_some_weekday",
                violation_error_message="Pick at least one weekday.",
            ),
            models.CheckConstraint(
                condition=Q(earliest__isnull=True)
                | Q(latest__isnull=True)
                | Q(latest__gt=F("earliest")),
                name="%(app_label)s_%(class)s_times_in_order",
                violation_error_message="The latest time comes after the earliest.",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=WaitPriority.values),
                name="%(app_label)s_%(class)s_priority_valid",
                violation_error_message="Unknown priority.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=WaitStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="Unknown waitlist status.",
            ),
            models.CheckConstraint(
                condition=Q(status=WaitStatus.BOOKED, appointment__isnull=False)
                | (~Q(status=WaitStatus.BOOKED) & Q(appointment__isnull=True)),
                name="%(app_label)s_%(class)s_booked_has_appointment",
                violation_error_message="A booked waiter names the appointment booked.",
            ),
        ]
        indexes = [
            # The match after a freed slot (appointments.waitlist.offers.first_waiter): the
            # best waiter of one doctor, in order, read from the index until one fits; and the
            # waitlist page filtered by doctor, paged by the same key.
            models.Index(
                "doctor",
                "priority",
                "created_at",
                "id",
                name="waitlist_doctor_match_idx",
                condition=Q(status="waiting"),
            ),
            # The same for the waiters of a specialty (any of its doctors).
            models.Index(
                "specialty",
                "priority",
                "created_at",
                "id",
                name="waitlist_specialty_match_idx",
                condition=Q(status="waiting"),
            ),
            # The waitlist page unfiltered: everyone waiting, best first, paged by key.
            models.Index(
                "priority",
                "created_at",
                "id",
                name="waitlist_waiting_idx",
                condition=Q(status="waiting"),
            ),
            # A patient's entries (the patient's page, PROTECT checks).
            models.Index(fields=["patient"], name="waitlist_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.wanted}"

    def get_absolute_url(self) -> str:
        return reverse("appointments:waitlist_edit", args=[self.pk])

    @property
    def wanted(self) -> str:
        return str(self.doctor) if self.doctor_id else f"any {self.specialty} doctor"

    @property
    def weekday_names(self) -> str:
        if self.weekdays == EVERY_DAY:
            return "Any day"
        return ", ".join(name for bit, name in enumerate(WEEKDAY_NAMES) if self.weekdays & 1 << bit)

    @property
    def times(self) -> str:
        if self.earliest is None and self.latest is None:
            return "Any time"
        if self.earliest is not None and self.latest is not None:
            return f"{self.earliest:%H:%M}–{self.latest:%H:%M}"
        if self.earliest is not None:
            return f"from {self.earliest:%H:%M}"
        return f"until {self.latest:%H:%M}"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    BOOKED = "booked", "Booked"
    PASSED = "passed", "Passed to the next waiter"
    EXPIRED = "expired", "Expired"
    TAKEN = "taken", "Slot taken by another booking"
    WITHDRAWN = "withdrawn", "Withdrawn"


class WaitlistOffer(TimeStampedModel):
    """A freed slot offered to one waiter until `expires_at`: booked in one click, passed to
    the next waiter, or expired (then offered to the next)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    doctor = models.ForeignKey("doctors.Doctor", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=9, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["start", "doctor_id"]
        verbose_name = "waitlist offer"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="An offered slot ends after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="Unknown offer status.",
            ),
            models.CheckConstraint(
                condition=Q(status=OfferStatus.BOOKED, appointment__isnull=False)
                | (~Q(status=OfferStatus.BOOKED) & Q(appointment__isnull=True)),
                name="%(app_label)s_%(class)s_booked_has_appointment",
                violation_error_message="A booked offer names the appointment booked.",
            ),
            # One open offer per slot; also the calendar's and the trigger's lookup of the
            # open offers of a doctor's day.
            models.UniqueConstraint(
                "doctor",
                "start",
                name="%(app_label)s_%(class)s_one_open_per_slot",
                condition=Q(status="open"),
                violation_error_message="This slot is already offered to a waiting patient.",
            ),
            models.UniqueConstraint(
                "entry",
                name="%(app_label)s_%(class)s_one_open_per_waiter",
                condition=Q(status="open"),
                violation_error_message="This patient already holds an open offer.",
            ),
        ]
        indexes = [
            # The expiry sweep: open offers whose time is up.
            models.Index("expires_at", name="waitlist_offer_due_idx", condition=Q(status="open")),
            # "Was this waiter already offered this slot?" in the match.
            models.Index(fields=["entry", "start"], name="waitlist_offer_entry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} at {self.start:%Y-%m-%d %H:%M} offered to {self.entry.patient}"

    def get_absolute_url(self) -> str:
        return reverse("appointments:waitlist") + f"#offer-{self.pk}"

    def is_live(self, now: datetime.datetime) -> bool:
        """Open and not yet expired (an expired offer the sweep has not reached is over)."""
        return self.status == OfferStatus.OPEN and self.expires_at > now
