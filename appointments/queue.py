"""The check-in queue's models: a token per check-in, numbered per day and queue, its calls,
and how each doctor's room is named on the waiting-room display.

A queue is one doctor's (the default) or the whole hospital's (`HMS_QUEUE_SCOPE=hospital`):
`queue` holds the doctor's id or 0. Numbers come from `QueueCounter`, one row per queue and
day locked while numbering (appointments.queue_services), and the database holds the rule:
a number is unique per day and queue, and an appointment has at most one live token.
Imported at the end of appointments.models, as models of this app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import TimeStampedModel

# The queue number of the hospital-wide queue (HMS_QUEUE_SCOPE=hospital).
HOSPITAL_QUEUE = 0


class QueueRoom(TimeStampedModel):
    """How the waiting-room display names a doctor: the room their patients go to and the
    name shown with it. Chosen for public display (a doctor's name is public, a patient's
    is not); without a row the display shows "Dr <last name>" and no room."""

    doctor = models.OneToOneField(
        "doctors.Doctor", on_delete=models.CASCADE, related_name="queue_room"
    )
    room = models.CharField(max_length=40, blank=True, help_text="As signposted: “Room 4”.")
    display_name = models.CharField(
        max_length=60,
        blank=True,
        help_text="Shown on the waiting-room display; blank: “Dr <last name>”.",
    )

    class Meta:
        ordering = ["doctor"]
        verbose_name = "queue room"

    def __str__(self) -> str:
        return f"{self.display_name or self.doctor}: {self.room or 'no room'}"


class QueueCounter(TimeStampedModel):
    """The last token number given in a queue on a day. Its row is locked from the number's
    INSERT … ON CONFLICT until the check-in commits, so check-ins to one queue take numbers
    one after another and a check-in that rolls back gives its number back (no gaps)."""

    day = models.DateField()
    queue = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "queue"]
        verbose_name = "queue counter"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "queue"],
                name="%(app_label)s_%(class)s_one_per_queue_day",
                violation_error_message="A queue has one counter per day.",
            ),
        ]

    def __str__(self) -> str:
        return f"Queue {self.queue} on {self.day}: {self.last_number}"


class QueueTicket(TimeStampedModel):
    """A patient's token: given at check-in, called by the doctor ("call next"), announced
    again by a recall. An undone check-in withdraws its token: the number stays unused (a
    printed ticket with it may be in someone's hand), and checking in again gives a new one.
    The waiting time is the attendance's `checked_in_at` to `called_at`."""

    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.CASCADE, related_name="queue_tickets"
    )
    # The appointment's doctor when checked in: who calls the token (in either scope).
    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    day = models.DateField()
    queue = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    called_at = models.DateTimeField(null=True, blank=True)
    # The latest call or recall, and how many there were: the display flashes a fresh one.
    announced_at = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveSmallIntegerField(default=0)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "queue", "number"]
        verbose_name = "queue ticket"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "queue", "number"],
                name="%(app_label)s_%(class)s_number_unique_per_queue_day",
                violation_error_message="This token number is already given in this queue today.",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(withdrawn_at__isnull=True),
                name="%(app_label)s_%(class)s_one_live_per_appointment",
                violation_error_message="This appointment already has a token.",
            ),
            models.CheckConstraint(
                condition=Q(number__gt=0),
                name="%(app_label)s_%(class)s_number_positive",
                violation_error_message="A token number starts at 1.",
            ),
            models.CheckConstraint(
                condition=(Q(called_at__isnull=True) & Q(calls=0) & Q(announced_at__isnull=True))
                | (Q(calls__gt=0) & Q(announced_at__gte=F("called_at"))),
                name="%(app_label)s_%(class)s_calls_consistent",
                violation_error_message="A called token has its call time and count.",
            ),
        ]
        indexes = [
            # Call next and the doctor's queue: a doctor's tokens of a day in number order.
            # (The display reads a day's tokens through the unique (day, queue, number).)
            models.Index(fields=["doctor", "day", "number"], name="queue_ticket_doctor_day_idx"),
        ]

    def __str__(self) -> str:
        return f"Token {self.number} ({self.day})"
