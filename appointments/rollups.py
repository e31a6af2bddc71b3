"""Appointment counts kept by the database as appointments are written (issue 14).

PostgreSQL triggers on `appointments_appointment` (migration 0004) add each statement's
changes to these tables as deltas, in the writer's transaction: whoever writes (the services,
the admin, the import, the demo seed's COPY, a psql session as the application's login), the
roll-ups equal a count of the appointments. The reports read them instead of the appointments
(reports.selectors.appointments).

Local day and hour are in the zone held by `RollupZone` (one row), written from
settings.TIME_ZONE by the migration and again by `migrate` whenever the setting changed
(`rollups_rebuild`, which recomputes every row in that zone).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.signals import post_migrate

from doctors.models import Doctor


class _StatusCounts(models.Model):
    """Bookings by status (appointments.models.AppointmentStatus)."""

    scheduled = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DoctorDayCount(_StatusCounts):
    """One doctor's bookings on one local day; booked time of the active statuses."""

    # No foreign key in the database (see DoctorLeadCount).
    doctor = models.ForeignKey(
        Doctor, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    booked_us = models.BigIntegerField("booked microseconds", default=0)

    class Meta:
        ordering = ["doctor", "day"]
        verbose_name = "appointments per doctor and day"
        constraints = [
            # Doctor-workload's page: a doctor's days in the period (also the upsert's key).
            models.UniqueConstraint(
                fields=["doctor", "day"],
                name="%(app_label)s_%(class)s_doctor_day_unique",
                violation_error_message="One row per doctor and day.",
            ),
        ]
        indexes = [
            # First and last appointment day of an open period (min/max).
            models.Index(fields=["day"], name="appt_rollup_doctorday_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor_id} {self.day}"


class DayCount(_StatusCounts):
    """The whole hospital's bookings on one local day (the appointments page's status strip)."""

    day = models.DateField(unique=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "appointments per day"

    def __str__(self) -> str:
        return str(self.day)


class HourCount(_StatusCounts):
    """The whole hospital's bookings in one local hour of one day (appointment-patterns'
    heatmap and weekday rows); lead_count / lead_days_sum: those booked in the system and
    their lead days summed (the averages)."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    lead_count = models.IntegerField(default=0)
    lead_days_sum = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["day", "hour"]
        verbose_name = "appointments per hour"
        constraints = [
            # Appointment-patterns reads a period's hours (also the upsert's key).
            models.UniqueConstraint(
                fields=["day", "hour"],
                name="%(app_label)s_%(class)s_day_hour_unique",
                violation_error_message="One row per day and hour.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}h"


class DayLeadCount(models.Model):
    """How many of one local day's bookings were made `lead_days` days ahead (local date of
    the appointment − local date it was booked; 0 for a booking recorded on or after its
    day), the hospital's lead histogram for the overall and weekday medians. Imported
    appointments have no booking time and no row here."""

    day = models.DateField()
    lead_days = models.IntegerField()
    bookings = models.IntegerField(default=0)

    class Meta:
        ordering = ["day", "lead_days"]
        verbose_name = "appointments per day and lead time"
        constraints = [
            # Appointment-patterns reads a period's days (also the upsert's key).
            models.UniqueConstraint(
                fields=["day", "lead_days"],
                name="%(app_label)s_%(class)s_day_lead_unique",
                violation_error_message="One row per day and lead time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.lead_days} days ahead"


class DoctorLeadCount(_StatusCounts):
    """One doctor's bookings by lead days (as DayLeadCount; −1: imported) on one local day
    (`whole_month` false) and, again, in one whole month (`whole_month` true, `day` its
    first day). Appointment-patterns' per-doctor figures read the months inside the period
    and days only for the period's partial months at its ends (or a whole month less the
    days outside the period, whichever has fewer days), so the exact per-doctor median reads
    about doctors × (months + a few days) × lead values, not the appointments.

    No foreign key to the doctor (the doctor's appointments hold it): a deferred check per
    roll-up row cost the writers as much as the roll-up itself.
    """

    doctor = models.ForeignKey(
        Doctor, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    whole_month = models.BooleanField()
    day = models.DateField()
    lead_days = models.IntegerField()

    class Meta:
        ordering = ["whole_month", "day", "doctor", "lead_days"]
        verbose_name = "appointments per doctor, day or month, and lead time"
        constraints = [
            # Appointment-patterns reads a period's months and days (also the upsert's key).
            models.UniqueConstraint(
                fields=["whole_month", "day", "doctor", "lead_days"],
                name="%(app_label)s_%(class)s_key_unique",
                violation_error_message="One row per doctor, day or month, and lead time.",
            ),
        ]
        indexes = [
            # Appointment-patterns' page of doctors: each doctor's months and days.
            models.Index(
                fields=["doctor", "whole_month", "day"], name="appt_rollup_doctorlead_doc_idx"
            ),
        ]

    def __str__(self) -> str:
        span = "month of " if self.whole_month else ""
        return f"{self.doctor_id} {span}{self.day} lead {self.lead_days}"


class RollupZone(models.Model):
    """The time zone the roll-ups' local days and hours are in (one row)."""

    zone = models.CharField(max_length=64)

    class Meta:
        verbose_name = "roll-up time zone"
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="%(app_label)s_%(class)s_one_row",
                violation_error_message="The roll-ups have one time zone.",
            ),
        ]

    def __str__(self) -> str:
        return self.zone


def rollups_rebuild(zone: str | None = None) -> None:
    """Recount every roll-up from the appointments, local days in `zone` (default: the
    setting). Locks the appointments against writes while it runs; one pass over them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT appointments_rollup_rebuild(%s)", [zone or settings.TIME_ZONE])


def rollup_zone() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT zone FROM {RollupZone._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _resync_zone(sender, using: str = "default", **kwargs) -> None:
    """After `migrate`: a changed TIME_ZONE recounts the roll-ups in the new zone."""
    if getattr(sender, "label", None) != "appointments":
        return
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regproc('appointments_rollup_rebuild') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return  # migrated backwards past the roll-ups
        cursor.execute(f"SELECT zone FROM {RollupZone._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
        if row is None or row[0] != settings.TIME_ZONE:
            cursor.execute("SELECT appointments_rollup_rebuild(%s)", [settings.TIME_ZONE])


post_migrate.connect(_resync_zone, dispatch_uid="appointments_rollup_zone")
