from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The background-job engine (procrastinate): what the worker adds to every job, the
    errors of failed jobs, the administrators' view of the queue, and the queue's own
    periodic upkeep."""

    name = "jobs"
    verbose_name = "Background jobs"
