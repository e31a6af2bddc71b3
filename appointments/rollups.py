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

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="+")
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


class LeadCount(_StatusCounts):
    """Bookings of one doctor in one local hour of one day with the same lead time.

    lead_us: start − booking time (created_at) in microseconds, 0 for a booking recorded after
    its start, −1 for an imported appointment (legacy_id set), which has no booking time. Kept
    exact (no bucketing) so the patterns report's median lead time is the median of the
    appointments themselves.
    """

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.SmallIntegerField()
    lead_us = models.BigIntegerField("lead time in microseconds")

    class Meta:
        ordering = ["day", "hour", "doctor", "lead_us"]
        verbose_name = "appointments per doctor, hour and lead time"
        constraints = [
            # Appointment-patterns reads a period's rows (day first), or one doctor's.
            models.UniqueConstraint(
                fields=["day", "doctor", "hour", "lead_us"],
                name="%(app_label)s_%(class)s_key_unique",
                violation_error_message="One row per day, doctor, hour and lead time.",
            ),
        ]
        indexes = [
            # Appointment-patterns for one doctor: that doctor's rows of the period.
            models.Index(fields=["doctor", "day"], name="appt_rollup_lead_doctor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor_id} {self.day} {self.hour}h lead {self.lead_us}"


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
