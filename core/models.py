"""Shared model pieces: timestamps and the append-only audit log."""

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(TimeStampedModel):
    """Who did what to which record, and when.

    Append-only: a trigger in the database refuses UPDATE and DELETE on this table.
    `actor` and `patient` carry no foreign-key constraint so that an audit row outlives
    anything it names.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        LOGIN = "login", "Logged in"
        LOGOUT = "logout", "Logged out"
        LOGIN_FAILED = "login_failed", "Login failed"
        EXPORT = "export", "Exported"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit event"
        indexes = [
            # "a patient's access history": filter by patient, newest first.
            models.Index(fields=["patient", "-created_at"], name="hms_audit_patient_idx"),
            # "what did this user do": filter by actor, newest first.
            models.Index(fields=["actor", "-created_at"], name="hms_audit_actor_idx"),
            # date-range browsing of the whole log.
            models.Index(fields=["-created_at"], name="hms_audit_created_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{who} {self.get_action_display().lower()} {self.object_type} {self.object_repr}"
