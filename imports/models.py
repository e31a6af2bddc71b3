"""A workbook an administrator uploaded on the import page: checked first, imported only when
confirmed. The row keeps the validation report after the file itself is gone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import TimeStampedModel


class UploadStatus(models.TextChoices):
    CHECKING = "checking", "Checking…"
    CHECKED = "checked", "Ready to import"
    IMPORTING = "importing", "Importing…"
    REJECTED = "rejected", "Has problems: nothing imported"
    UNCHANGED = "unchanged", "Nothing to change"
    IMPORTED = "imported", "Imported"
    DISCARDED = "discarded", "Discarded"
    FAILED = "failed", "Failed: nothing imported"


# The statuses in which a background job works on the upload.
WORKING = (UploadStatus.CHECKING, UploadStatus.IMPORTING)


class WorkbookUpload(TimeStampedModel):
    """One upload of the hospital workbook (an .xlsx, or the sheets' CSV files).

    checking → checked (valid, awaiting confirmation) → importing → imported; or from a check
    or import: rejected (problems), unchanged (nothing to do), failed (an unexpected error);
    a checked upload may be discarded. Checking and importing are background jobs
    (imports.tasks), run by a worker process.
    The files wait under `MEDIA_ROOT/imports/<folder>/` only until the upload reaches a final
    status: they hold patients' data. `report` keeps what the check (and later the import)
    found: every problem, warnings and per-sheet counts.
    """

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(max_length=500)
    folder = models.CharField(max_length=100, unique=True)
    # The file read: hospital.xlsx, or "" for a folder of CSV files.
    workbook_file = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=UploadStatus.choices)
    report = models.JSONField(default=dict, blank=True)
    # The latest progress line of the check or import running in the background.
    progress = models.CharField(max_length=200, blank=True)
    # The background job (procrastinate_jobs.id) of the latest check or import; no foreign
    # key: finished jobs are deleted after a while (jobs.tasks), the upload stays.
    job_id = models.BigIntegerField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    # What the clerk confirmed besides the new records: the updates to existing ones too.
    apply_updates = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "workbook upload"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=UploadStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
                violation_error_message="Unknown upload status.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=UploadStatus.IMPORTED, imported_at__isnull=False)
                    | (~Q(status=UploadStatus.IMPORTED) & Q(imported_at__isnull=True))
                ),
                name="%(app_label)s_%(class)s_imported_iff_stamped",
                violation_error_message="An imported upload records when it was imported.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status__in=[UploadStatus.IMPORTING, UploadStatus.IMPORTED],
                        confirmed_at__isnull=False,
                        confirmed_by__isnull=False,
                    )
                    | ~Q(status__in=[UploadStatus.IMPORTING, UploadStatus.IMPORTED])
                ),
                name="%(app_label)s_%(class)s_importing_was_confirmed",
                violation_error_message="An upload is imported only once someone confirms it.",
            ),
            models.CheckConstraint(
                condition=Q(size_bytes__gte=0),
                name="%(app_label)s_%(class)s_size_non_negative",
                violation_error_message="A file size cannot be negative.",
            ),
        ]
        indexes = [
            # The upload page lists the latest uploads first.
            models.Index(fields=["-created_at"], name="imports_upload_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("imports:upload_detail", args=[self.pk])

    @property
    def can_confirm(self) -> bool:
        return self.status == UploadStatus.CHECKED

    @property
    def imported_by(self):
        """Who imported it: the person who confirmed it (the constraints keep an imported
        upload confirmed)."""
        return self.confirmed_by if self.status == UploadStatus.IMPORTED else None


class UploadChange(models.Model):
    """One existing record the checked workbook would update, with each changed field before
    and after: what the check page lists (a page at a time, per sheet) and the CSV of changes.
    Written by the check (all of them, with one COPY), replaced by a new check, deleted with
    the upload's files when it is discarded or fails."""

    # Indexed by the (upload, position) index below.
    upload = models.ForeignKey(
        WorkbookUpload, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    sheet = models.CharField(max_length=40)
    # Order within the upload: sheet by sheet, those that need care first.
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=100)  # the workbook's ID of the record
    label = models.CharField(max_length=300)
    row = models.PositiveIntegerField(null=True, blank=True)  # the workbook's row
    # Why the update needs care ("" when it does not): imports.risks.
    risk = models.CharField(max_length=20, blank=True)
    why = models.TextField(blank=True)
    note = models.TextField(blank=True)  # the clerk's resolution of a conflict
    user_id = models.BigIntegerField(null=True, blank=True)  # a doctor's login, if any
    fields = models.JSONField(default=list)  # [[field label, before, after], ...]

    class Meta:
        ordering = ["upload", "position"]
        verbose_name = "change an upload makes"
        indexes = [
            # The CSV, in order; the page, a sheet at a time.
            models.Index(fields=["upload", "position"], name="imports_change_position_idx"),
            models.Index(
                fields=["upload", "sheet", "position"], name="imports_change_sheet_pos_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} {self.key}"
