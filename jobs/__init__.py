"""Background jobs on procrastinate: the queue lives in the hospital's own PostgreSQL.

Define a job next to the services it calls, in `<app>/tasks.py` (every app's `tasks` module is
imported when Django starts, so the worker knows every task):

    from jobs import app

    @app.task(name="appointments.send_reminder", queue="default")
    def appointment_send_reminder(*, appointment_id: int) -> None:
        ...  # takes ids, never objects; idempotent: a retry or a second run changes nothing

    appointment_send_reminder.defer(appointment_id=appointment.pk)

`defer` from a web request writes the job row on the request's own database connection, so
inside a service's `transaction.atomic()` the job exists only if the transaction commits (no
`on_commit` needed). Workers are plain processes: `python manage.py procrastinate worker`.
`app` is procrastinate's Django app (`procrastinate.contrib.django.app`), importable at any
time; tasks decorated before Django is ready are registered when it is.
"""

from procrastinate.contrib.django import app

__all__ = ["app"]
