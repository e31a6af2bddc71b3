"""Background jobs of appointments: sending messages to patients, and the periodic reminders.

Jobs take ids and are idempotent: `message_send` sends a message at most once however often it
runs (appointments.messaging.services holds the rule), so a job retried by the engine, run by
two workers or queued twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from procrastinate import RetryStrategy
from procrastinate.contrib.django.models import ProcrastinateJob

from jobs import app

QUEUE = "messages"


# A failed send is the message's own business (retried with back-off, then failed, on its
# row); the engine retries only what broke around it, such as a lost database connection.
@app.task(
    name="appointments.message_send",
    queue=QUEUE,
    retry=RetryStrategy(max_attempts=5, exponential_wait=4),
)
def message_send(*, message_id: int) -> None:
    from appointments.messaging import services

    services.message_send(message_id=message_id)


@app.periodic(cron="*/5 * * * *", periodic_id="reminders")
@app.task(
    name="appointments.reminders_send",
    queue=QUEUE,
    # One run at a time in the queue; a second one waiting would find nothing new anyway.
    queueing_lock="appointments.reminders_send",
)
def reminders_send(timestamp: int) -> None:
    """Every five minutes: write and queue the reminders now due, and settle what a dead
    worker left (appointments.messaging.services.messages_sweep)."""
    from appointments.messaging import services

    services.reminders_queue()
    queue_sends(_without_job(services.messages_sweep()))


def _without_job(message_ids: list[int]) -> list[int]:
    """The messages among `message_ids` that no queued or running job will send: one query,
    so that a long queue (messages waiting behind many others) is not queued a second time."""
    if not message_ids:
        return []
    waiting = ProcrastinateJob.objects.filter(
        task_name=message_send.name,
        status__in=("todo", "doing"),
        args__message_id__in=message_ids,
    ).values_list("args__message_id", flat=True)
    return sorted(set(message_ids) - {int(pk) for pk in waiting})


def queue_sends(message_ids: Iterable[int], *, at: datetime.datetime | None = None) -> None:
    """Queue one `message_send` job per message, from `at` (default now), with one INSERT.
    Inside a transaction the jobs exist only once it commits, and a worker sees them only
    then: the message rows they name are always there."""
    ids = list(message_ids)
    if not ids:
        return
    task = message_send.configure(schedule_at=at) if at is not None else message_send
    task.batch_defer(*({"message_id": pk} for pk in ids))


@app.periodic(cron="* * * * *", periodic_id="waitlist_offers")
@app.task(
    name="appointments.waitlist_offers_expire",
    queueing_lock="appointments.waitlist_offers_expire",
)
def waitlist_offers_expire(timestamp: int) -> None:
    """Every minute: close the waitlist's offers whose time is up and offer each slot to the
    next waiter (appointments.waitlist.services.offers_expire_due; the waitlist page does the
    same on each read, so nothing waits on a worker that is down)."""
    from appointments.waitlist import services

    services.offers_expire_due()
