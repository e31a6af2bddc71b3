"""Shared model pieces: timestamps and the append-only audit log."""

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform

from core import dates
from core.validators import VisibleTextValidator


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    # The audit log records what was done and tried, characters and all: only rows people
    # enter are held to visible text.
    visible_text_only = True

    def clean_fields(self, exclude=None) -> None:
        """Django's checks, and no text field holds a character a person cannot see (a
        direction override, a zero-width space, a control character; new lines only in
        multi-line text: core.validators), and no date lies outside 1900–2999 (core.dates).
        Every model form and every service's `full_clean()` pass here, so no page, admin
        form or import stores one."""
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if field.name in errors or (exclude and field.name in exclude) or field.generated:
                continue
            value = getattr(self, field.attname)
            if isinstance(field, models.DateField) and value is not None:
                day = value.date() if isinstance(value, datetime.datetime) else value
                if not dates.EARLIEST <= day <= dates.LATEST:
                    errors[field.name] = [ValidationError(dates.RANGE_MESSAGE, code="date_range")]
            elif (
                self.visible_text_only
                and isinstance(field, models.CharField | models.TextField)
                and not field.choices
            ):
                try:
                    VisibleTextValidator(multiline=isinstance(field, models.TextField))(value)
                except ValidationError as error:
                    errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)


class AuditEvent(TimeStampedModel):
    """Who did what to which record, and when.

    Append-only: a trigger in the database refuses UPDATE and DELETE on this table.
    `actor` and `patient` carry no foreign-key constraint so that an audit row outlives
    anything it names.

    Tamper-evident: on insert, a database trigger gives each row the next `chain_seq` and
    `row_hash`, the SHA-256 of its content and of the previous row's hash (`prev_hash`), so a
    row changed or removed afterwards breaks the chain (`manage.py audit_verify`; see
    core/audit_chain.py). Whatever Python puts in these three fields is overwritten.
    """

    visible_text_only = False

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
    # The hash chain, filled by the database (core/migrations/0002_auditevent_hash_chain).
    chain_seq = models.BigIntegerField("chain position", db_default=0, editable=False)
    prev_hash = models.CharField("previous hash", max_length=64, db_default="", editable=False)
    row_hash = models.CharField("hash", max_length=64, db_default="", editable=False)

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
            # "a patient's access history" also finds list and report views that named the
            # patient among others (changes["patients"] @> [id], see naming_patient).
            GinIndex(
                OpClass(KeyTransform("patients", "changes"), name="jsonb_path_ops"),
                name="core_audit_patients_gin",
            ),
        ]
        constraints = [
            # One row per position; its index serves the trigger's "last row of the chain"
            # (ORDER BY chain_seq DESC LIMIT 1) and audit_verify's walk in chain order.
            models.UniqueConstraint(
                fields=["chain_seq"],
                name="core_auditevent_chain_seq_unique",
                violation_error_message="Two audit events hold the same place in the chain.",
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{who} {self.get_action_display().lower()} {self.object_type} {self.object_repr}"


def naming_patient(patient_id: int) -> Q:
    """Audit rows about one patient: the row's own patient, or a list or report view that
    named the patient among the ones it showed (`core.audit.audit_view`). Both arms have an
    index (patient, created_at) and the GIN index on changes->'patients'."""
    return Q(patient_id=patient_id) | Q(changes__patients__contains=[patient_id])
