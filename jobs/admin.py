"""The administrators' view of the job queue in the Django admin: every job (queued, running,
stalled, failed with its error, succeeded), its history, and a "Retry" action.

procrastinate's own admin page for jobs is replaced by this one: it shows no error, and its
retry would queue again a job that a live worker is still running."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from procrastinate.contrib.django import admin as _procrastinate_admin  # noqa: F401 (see below)
from procrastinate.contrib.django.models import (
    ProcrastinateEvent,
    ProcrastinateJob,
    ProcrastinateWorker,
)

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from jobs.engine import STALLED_AFTER_SECONDS
from jobs.models import JobError
from jobs.services import JobNotRetryable, job_retry

STATUS_LABELS = {
    "todo": "Queued",
    "doing": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "aborted": "Aborted",
}

# procrastinate's admin module (imported above, so it has registered its page) gives way here.
if admin.site.is_registered(ProcrastinateJob):
    admin.site.unregister(ProcrastinateJob)


class EventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ProcrastinateEvent
    fields = ("type", "at")
    ordering = ("-at", "-id")
    verbose_name = "event"
    verbose_name_plural = "History (latest first)"


@admin.register(ProcrastinateJob)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "task_name",
        "arguments",
        "status_shown",
        "queue_name",
        "attempts",
        "last_change",
        "last_error",
    )
    list_filter = ("status", "queue_name", "task_name")
    search_fields = ("=id", "task_name")
    ordering = ("-id",)
    list_per_page = 50
    actions = ["retry_jobs"]
    inlines = [EventInline]
    fields = (
        "id",
        "task_name",
        "arguments",
        "status_shown",
        "queue_name",
        "priority",
        "lock",
        "queueing_lock",
        "scheduled_at",
        "attempts",
        "errors",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcrastinateJob]:
        """Each job with its latest event, its latest error and whether its worker lives:
        three subqueries in the one list query."""
        events = ProcrastinateEvent.objects.filter(job_id=OuterRef("pk")).order_by("-at", "-id")
        fresh = timezone.now() - datetime.timedelta(seconds=STALLED_AFTER_SECONDS)
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_event_type=Subquery(events.values("type")[:1]),
                last_event_at=Subquery(events.values("at")[:1]),
                last_error_text=Subquery(
                    JobError.objects.filter(job_id=OuterRef("pk"))
                    .order_by("-id")
                    .values("error")[:1]
                ),
                worker_alive=Exists(
                    ProcrastinateWorker.objects.filter(
                        pk=OuterRef("worker_id"), last_heartbeat__gt=fresh
                    )
                ),
            )
        )

    @admin.display(description="Arguments")
    def arguments(self, job: ProcrastinateJob) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in sorted(job.args.items()))[:200]

    @admin.display(description="Status", ordering="status")
    def status_shown(self, job: ProcrastinateJob) -> str:
        if job.status == "doing" and not job.worker_alive:
            return "Stalled: its worker stopped"
        return STATUS_LABELS.get(job.status, job.status)

    @admin.display(description="Last change")
    def last_change(self, job: ProcrastinateJob) -> str:
        if not job.last_event_at:
            return "—"
        when = timezone.localtime(job.last_event_at).strftime("%Y-%m-%d %H:%M:%S")
        return f"{job.last_event_type.replace('_', ' ')} {when}"

    @admin.display(description="Last error")
    def last_error(self, job: ProcrastinateJob) -> str:
        return (job.last_error_text or "")[:300]

    @admin.display(description="Errors (latest first)")
    def errors(self, job: ProcrastinateJob) -> str:
        rows = JobError.objects.filter(job_id=job.pk).order_by("-id")[:20]
        if not rows:
            return "—"
        return format_html_join(
            "",
            "<p><strong>Attempt {} ({}{})</strong>: {}</p><pre>{}</pre>",
            (
                (
                    e.attempt,
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    format_html(", worker {}", e.worker) if e.worker else "",
                    e.error,
                    e.traceback,
                )
                for e in rows
            ),
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("jobs.retry_job")

    @admin.action(description="Retry the selected failed or stalled jobs", permissions=["retry"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[ProcrastinateJob]) -> None:
        retried, refused = [], []
        for job_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                job_retry(job_id=job_id, by=request.user)
            except JobNotRetryable as refusal:
                refused.append(str(refusal))
            else:
                retried.append(str(job_id))
        if retried:
            messages.success(request, f"Queued again: job {', '.join(retried)}.")
        for refusal in refused:
            messages.warning(request, refusal)


@admin.register(JobError)
class JobErrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every failed attempt of every job, as the worker recorded it."""

    list_display = ("created_at", "job_id", "task_name", "attempt", "error")
    list_filter = ("task_name",)
    search_fields = ("=job_id", "task_name", "error")
    readonly_fields = ("job_id", "task_name", "attempt", "worker", "error", "traceback")
