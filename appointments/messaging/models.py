"""What the hospital told a patient about an appointment, or about a waitlist offer of a freed
slot: one row per message, written before it is sent (appointments.messaging.services), so a
retried job, a second worker or a restart finds the row and never sends it twice. A message
names exactly one of the two (a CHECK, migration 0012)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStampedModel


class MessageKind(models.TextChoices):
    BOOKED = "booked", "Booking confirmation"
    RESCHEDULED = "rescheduled", "New time"
    CANCELLED = "cancelled", "Cancellation"
    REMINDER = "reminder", "Reminder"
    OFFERED = "offered", "Waitlist offer"


# The kinds that follow a change of the appointment; each raises the calendar's SEQUENCE.
CHANGE_KINDS = (MessageKind.BOOKED, MessageKind.RESCHEDULED, MessageKind.CANCELLED)


class MessageChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    RETRYING = "retrying", "Not sent yet, trying again"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    OPTED_OUT = "opted_out", "Not sent: the patient opted out"
    NO_ADDRESS = "no_address", "Not sent: no address"
    SKIPPED = "skipped", "Not sent: no longer needed"


# A worker may take these (appointments.messaging.services.message_send).
OPEN_STATUSES = (MessageStatus.PENDING, MessageStatus.RETRYING)


class AppointmentMessage(TimeStampedModel):
    appointment = models.ForeignKey(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    # A freed slot offered to a waiter (kind "offered"): there is no appointment yet.
    offer = models.ForeignKey(
        "appointments.WaitlistOffer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    # The appointment's version this message describes: the .ics SEQUENCE (0 when booked,
    # one more at each move or cancellation).
    sequence = models.PositiveIntegerField()
    # 0 for the message the system sends by itself; 1, 2, ... for each resend by a person.
    copy = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    to_address = models.CharField("sent to", max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The last failure, or why the message was not needed any more.
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who asked for it to be sent again (empty: sent by the system).",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "message to a patient"
        verbose_name_plural = "messages to patients"
        constraints = [
            # Exactly once: the row exists before the message leaves, and there is one row per
            # appointment version, kind, channel and resend.
            models.UniqueConstraint(
                fields=["appointment", "kind", "sequence", "channel", "copy"],
                name="%(app_label)s_%(class)s_once",
                violation_error_message="This message about the appointment already exists.",
            ),
            # An offer is told once per channel (and per resend); a new offer, a new message.
            models.UniqueConstraint(
                fields=["offer", "kind", "channel", "copy"],
                condition=Q(offer__isnull=False),
                name="%(app_label)s_%(class)s_offer_once",
                violation_error_message="This message about the offer already exists.",
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False, offer__isnull=True)
                | Q(appointment__isnull=True, offer__isnull=False),
                name="%(app_label)s_%(class)s_appointment_or_offer",
                violation_error_message="A message is about one appointment or one offer.",
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
                violation_error_message="A sent message records when it was sent.",
            ),
        ]
        indexes = [
            # messages_sweep: the few rows not settled yet, oldest first.
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(
                    status__in=[
                        MessageStatus.PENDING,
                        MessageStatus.RETRYING,
                        MessageStatus.SENDING,
                    ]
                ),
                name="appointments_message_open",
            ),
        ]

    def __str__(self) -> str:
        about = (
            f"appointment {self.appointment_id}"
            if self.appointment_id is not None
            else f"waitlist offer {self.offer_id}"
        )
        return f"{self.get_kind_display()} by {self.get_channel_display()} for {about}"

    def get_absolute_url(self) -> str:
        if self.appointment_id is None:
            return reverse("appointments:waitlist") + f"#offer-{self.offer_id}"
        return reverse("appointments:appointment_detail", args=[self.appointment_id])

    @property
    def patient(self):
        """Whom it is for: the appointment's patient, or the offer's waiter (load them with
        select_related, as the senders do)."""
        if self.appointment_id is not None:
            return self.appointment.patient
        return self.offer.entry.patient

    @property
    def doctor(self):
        return self.appointment.doctor if self.appointment_id is not None else self.offer.doctor
