from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from appointments.series import AppointmentSeries, occurrence_constraints
from core.models import TimeStampedModel


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold the doctor's (and the patient's) time; cancelled and no-show free it.
ACTIVE_STATUSES = (
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)


def _no_overlap(field: str) -> ExclusionConstraint:
    return ExclusionConstraint(
        name=f"%(app_label)s_%(class)s_no_{field}_overlap",
        expressions=[
            (field, RangeOperators.EQUAL),
            # [start, end): back-to-back appointments do not overlap.
            (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
        ],
        condition=Q(status__in=ACTIVE_STATUSES),
        violation_error_message=(f"This {field} already has an appointment at that time."),
    )


class Appointment(TimeStampedModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    reason = models.CharField(max_length=255, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=255, blank=True)
    legacy_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # An occurrence of a recurring series (appointments.series): its number in the series
    # and the start the rule gave it (a moved occurrence keeps both: an exception).
    series = models.ForeignKey(
        AppointmentSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
        db_index=False,  # series_index_unique's index (series, series_index) leads with it
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    series_start = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "doctor_id"]
        verbose_name = "appointment"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="Unknown appointment status.",
            ),
            _no_overlap("doctor"),
            _no_overlap("patient"),
            *occurrence_constraints(),
        ]
        indexes = [
            # Day calendar and doctor's day: a doctor's appointments in a time window.
            models.Index(fields=["doctor", "start"], name="appt_doctor_start_idx"),
            # Patient page: a patient's past and upcoming appointments.
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            # Front-desk day view over all doctors, and reports by period.
            models.Index(fields=["start"], name="appt_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.doctor} at {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("admin:appointments_appointment_change", args=[self.pk])


class AppointmentStatusChange(TimeStampedModel):
    """One move of an appointment: a status change or a reschedule, with who and when."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    old_start = models.DateTimeField(null=True, blank=True)
    old_end = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    new_end = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["appointment", "created_at", "id"]
        verbose_name = "appointment status change"
        indexes = [
            models.Index(fields=["appointment", "created_at"], name="appt_change_appt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status or '—'} → {self.to_status}"


class Attendance(TimeStampedModel):
    """A visit: the seed's PatientsAttendAppointments row, with the clinical record."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="attendance"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="attendances"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    concerns = models.TextField(blank=True)
    symptoms = models.TextField(blank=True)
    diagnosis = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        verbose_name = "attendance"
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(completed_at__gte=F("started_at")),
                name="%(app_label)s_%(class)s_completed_after_start",
                violation_error_message="A visit cannot be completed before it started.",
            ),
        ]
        indexes = [
            # Chart timeline: a patient's past visits.
            models.Index(fields=["patient", "-checked_in_at"], name="attendance_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit of {self.patient} ({self.appointment.start:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("admin:appointments_attendance_change", args=[self.pk])


# Messages to patients about their appointments (appointments.messaging), a model of this app.
from appointments.messaging.models import AppointmentMessage  # noqa: E402, F401

# The check-in queue: tokens, their counters and the rooms on the display (appointments.queue).
from appointments.queue import QueueCounter, QueueRoom, QueueTicket  # noqa: E402, F401

# Counts kept by triggers for the reports (appointments.rollups), models of this app.
from appointments.rollups import (  # noqa: E402, F401
    DayCount,
    DayLeadCount,
    DoctorDayCount,
    DoctorLeadCount,
    HourCount,
    RollupZone,
)

# The waitlist: waiters and the offers of freed slots (appointments.waitlist).
from appointments.waitlist.models import WaitlistEntry, WaitlistOffer  # noqa: E402, F401
