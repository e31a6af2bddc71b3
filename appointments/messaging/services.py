"""Messages to patients about their appointments: written as rows, then sent by jobs.

Exactly once: every message is an `AppointmentMessage` row, unique per (appointment, kind,
sequence, channel, copy), written in the transaction of the change it announces and before any
attempt to send it. A worker takes a row by moving it from pending to sending in a committed
transaction of its own (`SELECT … FOR UPDATE SKIP LOCKED`), then sends, then records the
outcome; a second worker, a retried job or a restarted one finds the row taken or settled and
sends nothing. A worker that dies between taking and recording leaves the row "sending": the
sweep marks it failed (it may have left) rather than risk a second copy.

The appointment services call `messages_for_change` (booking, moving, cancelling), the
waitlist's match `messages_for_offer` (a freed slot offered to a waiter: a row per channel
unique per offer, channel and copy, with no appointment yet); the periodic job calls
`reminders_queue` and `messages_sweep`; the desk calls `message_resend`.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
import socket
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from appointments.messaging import compose
from appointments.messaging.models import (
    CHANGE_KINDS,
    OPEN_STATUSES,
    AppointmentMessage,
    MessageChannel,
    MessageKind,
    MessageStatus,
)
from appointments.models import Appointment, AppointmentStatus
from appointments.waitlist.models import OfferStatus
from core import audit, sms
from core.actors import acting_user

logger = logging.getLogger("appointments.messaging")

# A row left "sending" this long belongs to a worker that died while sending.
STALE_SENDING = datetime.timedelta(minutes=10)
# A row still waiting this long may have lost its job (a crash between commit and queueing,
# a queue restored from an older backup): the sweep queues it again.
LOST_AFTER = datetime.timedelta(minutes=10)
INTERRUPTED = (
    "Interrupted while sending (the worker stopped); it may or may not have arrived. "
    "Send it again if the patient did not get it."
)


# --- Channels ----------------------------------------------------------------------------


def channels() -> list[str]:
    """The channels the hospital has set up: e-mail (a mail server, or development's files),
    SMS (HMS_SMS_BACKEND)."""
    found = []
    if settings.HMS_PATIENT_EMAIL:
        found.append(MessageChannel.EMAIL)
    if settings.HMS_SMS_BACKEND:
        found.append(MessageChannel.SMS)
    return found


# The patient's field holding each channel's address.
ADDRESS_FIELD = {MessageChannel.EMAIL: "email", MessageChannel.SMS: "phone"}


def _address(patient: Any, channel: str) -> str:
    return (getattr(patient, ADDRESS_FIELD[channel]) or "").strip()


def _initial_status(patient: Any, channel: str) -> str:
    if patient.messages_opt_out:
        return MessageStatus.OPTED_OUT
    if not _address(patient, channel):
        return MessageStatus.NO_ADDRESS
    return MessageStatus.PENDING


# --- Writing messages --------------------------------------------------------------------


def current_sequence(*, appointment_id: int) -> int:
    """The appointment's newest version any message told (0: as booked, or none yet)."""
    found = AppointmentMessage.objects.filter(appointment_id=appointment_id).aggregate(
        top=Max("sequence")
    )["top"]
    return found or 0


def _write(
    appointment: Appointment | None,
    *,
    kind: str,
    sequence: int,
    copy: int = 0,
    by: Any = None,
    offer: Any = None,
) -> list[AppointmentMessage]:
    """One row per channel, and the jobs that send the pending ones (queued in the same
    transaction: a worker sees them only once it commits). About `appointment`, or about a
    waitlist `offer` (then `appointment` is None)."""
    patient = appointment.patient if appointment is not None else offer.entry.patient
    rows = []
    for channel in channels():
        status = _initial_status(patient, channel)
        row = AppointmentMessage(
            appointment=appointment,
            offer=offer,
            kind=kind,
            channel=channel,
            sequence=sequence,
            copy=copy,
            status=status,
            to_address=_address(patient, channel) if status == MessageStatus.PENDING else "",
            requested_by=acting_user(by),
        )
        # The database holds the unique and foreign-key rules; no query per check.
        row.full_clean(
            exclude=["appointment", "offer", "requested_by"],
            validate_unique=False,
            validate_constraints=False,
        )
        rows.append(row)
    AppointmentMessage.objects.bulk_create(rows)
    pending = [row.pk for row in rows if row.status == MessageStatus.PENDING]
    if pending:
        from appointments import tasks

        tasks.queue_sends(pending)
    return rows


def messages_for_change(*, appointment: Appointment, kind: str) -> list[AppointmentMessage]:
    """Tell the patient that `appointment` was booked, moved or cancelled: one row per
    channel in the caller's transaction (which holds the appointment's row lock for a move or
    a cancellation, so two changes never take the same sequence). Nothing for an appointment
    already over. Costs one or two queries, and one INSERT per channel and job."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"{kind!r} is not a change of the appointment")
    if appointment.end <= timezone.now():
        return []
    sequence = 0
    if kind != MessageKind.BOOKED:
        sequence = current_sequence(appointment_id=appointment.pk) + 1
    return _write(appointment, kind=kind, sequence=sequence)


def messages_for_offer(*, offer: Any) -> list[AppointmentMessage]:
    """Tell the waiter of a new open waitlist `offer` that its slot is free and until when
    they may call to take it: one row per channel, as for a change of an appointment (the
    same channels, opt-out and missing addresses), in the caller's transaction, so an offer
    rolled back sends nothing. The offer's entry and patient should come loaded (the match
    selects them): then one INSERT, and one for the jobs."""
    return _write(None, offer=offer, kind=MessageKind.OFFERED, sequence=0)


def _last_change_kind(appointment: Appointment) -> str:
    last = (
        AppointmentMessage.objects.filter(appointment=appointment, kind__in=CHANGE_KINDS)
        .order_by("-sequence")
        .values_list("kind", flat=True)
        .first()
    )
    if appointment.status == AppointmentStatus.CANCELLED:
        return MessageKind.CANCELLED
    return last if last in (MessageKind.BOOKED, MessageKind.RESCHEDULED) else MessageKind.BOOKED


@transaction.atomic
def message_resend(*, appointment: Appointment, by: Any) -> list[AppointmentMessage]:
    """Send the appointment's current details again (its time, or its cancellation), on
    every channel, as a new copy of its last message; an audit row names who asked. Raises
    ValidationError when there is nothing left to tell (the visit is over or began)."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "doctor")
        .get(pk=appointment.pk)
    )
    if appointment.status not in (AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED):
        raise ValidationError(
            f"This appointment is {appointment.get_status_display().lower()}; there is "
            "nothing to send about it any more."
        )
    if appointment.end <= timezone.now():
        raise ValidationError("This appointment is over; there is nothing to send about it.")
    if not channels():
        raise ValidationError(
            "No way to reach patients is set up (no mail server, no SMS gateway)."
        )
    kind = _last_change_kind(appointment)
    sequence = current_sequence(appointment_id=appointment.pk)
    copy = (
        AppointmentMessage.objects.filter(
            appointment=appointment, kind=kind, sequence=sequence
        ).aggregate(top=Max("copy"))["top"]
        or 0
    ) + 1
    rows = _write(appointment, kind=kind, sequence=sequence, copy=copy, by=by)
    with audit.batch():
        for row in rows:
            audit.audit_record(
                actor=by,
                action=audit.Action.CREATE,
                obj=row,
                patient=appointment.patient,
                changes=audit.created(row, ("kind", "channel", "sequence", "copy", "status")),
            )
    return rows


# --- Reminders and the sweep -------------------------------------------------------------

# One INSERT for every reminder due: appointments still scheduled that start within the
# window, one row per channel, at the appointment's newest sequence; rows that exist already
# (an earlier run, another worker at the same moment) are left alone by the unique constraint.
_REMINDERS_SQL = """
INSERT INTO appointments_appointmentmessage
    (created_at, updated_at, appointment_id, kind, channel, sequence, copy, status,
     to_address, attempts, error)
SELECT %(now)s, %(now)s, a.id, 'reminder', %(channel)s,
       COALESCE((SELECT max(m.sequence) FROM appointments_appointmentmessage m
                 WHERE m.appointment_id = a.id), 0),
       0,
       CASE WHEN p.messages_opt_out THEN 'opted_out'
            WHEN btrim(p.{field}) = '' THEN 'no_address'
            ELSE 'pending' END,
       CASE WHEN p.messages_opt_out THEN '' ELSE btrim(p.{field}) END,
       0, ''
FROM appointments_appointment a
JOIN patients_patient p ON p.id = a.patient_id
WHERE a.status = 'scheduled' AND a.start > %(now)s AND a.start <= %(horizon)s
ON CONFLICT DO NOTHING
RETURNING id, status
"""


def reminders_queue(*, now: datetime.datetime | None = None) -> list[int]:
    """Write the reminder of every scheduled appointment starting within HMS_REMINDER_HOURS
    (none for cancelled or past ones, none twice) and queue the pending ones; return their
    ids. One INSERT per channel, however many appointments."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(hours=settings.HMS_REMINDER_HOURS)
    pending: list[int] = []
    with transaction.atomic():
        for channel in channels():
            sql = _REMINDERS_SQL.format(field=ADDRESS_FIELD[channel])
            with connection.cursor() as cursor:
                cursor.execute(sql, {"now": now, "horizon": horizon, "channel": channel})
                pending += [pk for pk, status in cursor.fetchall() if status == "pending"]
        if pending:
            from appointments import tasks

            tasks.queue_sends(pending)
    return pending


def messages_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Settle what a dead worker left: rows "sending" for too long become failed (they may
    have left; sending again could make two); rows waiting too long for their job are
    returned, for the caller to queue again (the send does nothing for a settled row)."""
    now = now or timezone.now()
    AppointmentMessage.objects.filter(
        status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(status=MessageStatus.FAILED, error=INTERRUPTED, updated_at=now)
    waiting = AppointmentMessage.objects.filter(
        status=MessageStatus.PENDING, updated_at__lt=now - LOST_AFTER
    ).values_list("pk", flat=True)
    overdue = AppointmentMessage.objects.filter(
        status=MessageStatus.RETRYING, next_attempt_at__lt=now - LOST_AFTER
    ).values_list("pk", flat=True)
    return sorted({*waiting, *overdue})


# --- Sending -----------------------------------------------------------------------------


def _skip_reason(message: AppointmentMessage, now: datetime.datetime) -> str:
    """Why a taken message need not leave any more, or ""."""
    if message.offer_id is not None:
        offer = message.offer
        if offer.status != OfferStatus.OPEN:
            return f"The offer is closed ({offer.get_status_display().lower()})."
        if offer.expires_at <= now:
            return "The offer expired before the message could leave."
        return ""
    appointment = message.appointment
    newer = AppointmentMessage.objects.filter(
        appointment_id=appointment.pk, channel=message.channel, sequence__gt=message.sequence
    )
    if message.kind == MessageKind.REMINDER:
        if appointment.status != AppointmentStatus.SCHEDULED:
            return f"The appointment is {appointment.get_status_display().lower()}."
        if appointment.start <= now:
            return "The appointment has begun."
        if newer.exists():
            return "The appointment moved since; a reminder for the new time follows."
    elif message.copy == 0 and newer.filter(kind__in=CHANGE_KINDS).exists():
        return "A newer message about this appointment replaced it."
    return ""


def _take(message_id: int, now: datetime.datetime) -> AppointmentMessage | None:
    """Move the message from pending (or retrying, once due) to sending, committed, and
    return it; None when another worker has it, it is settled, or its next try is not due."""
    with transaction.atomic():
        message = (
            AppointmentMessage.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related(
                "appointment__patient",
                "appointment__doctor",
                "offer__entry__patient",
                "offer__doctor",
            )
            .filter(pk=message_id, status__in=OPEN_STATUSES)
            .first()
        )
        if message is None:
            return None
        # A little slack: the queue's clock (the database's) and ours may differ a little.
        if message.next_attempt_at and message.next_attempt_at > now + datetime.timedelta(
            seconds=5
        ):
            return None
        patient = message.patient
        reason = _skip_reason(message, now)
        status = MessageStatus.SKIPPED if reason else _initial_status(patient, message.channel)
        message.status = MessageStatus.SENDING if status == MessageStatus.PENDING else status
        message.error = reason
        message.next_attempt_at = None
        if message.status == MessageStatus.SENDING:
            message.attempts += 1
            message.to_address = _address(patient, message.channel)
        message.save(
            update_fields=[
                "status",
                "error",
                "next_attempt_at",
                "attempts",
                "to_address",
                "updated_at",
            ]
        )
    return message


def _deliver(message: AppointmentMessage) -> str:
    """Send it; return where a development backend put it, or ""."""
    if message.channel == MessageChannel.SMS:
        backend = sms.sms_backend()
        if backend is None:
            raise RuntimeError("No SMS gateway is set up (HMS_SMS_BACKEND).")
        backend.send(to=message.to_address, text=compose.sms_text(message))
        return ""
    mail = get_connection(fail_silently=False)
    email = compose.email_message(message, to=message.to_address, connection=mail)
    mail.open()
    try:
        mail.send_messages([email])
    finally:
        mail.close()
    return str(getattr(mail, "_fname", "") or "")


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def describe_error(error: BaseException) -> str:
    """A sentence for the desk about a failed send."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(
            f"{address}: {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
        text = f"The mail server refused the address ({refusals})."
    elif isinstance(error, sms.SmsRefused):
        text = f"The SMS gateway refused the message: {error}"
    elif isinstance(error, smtplib.SMTPException | socket.error | TimeoutError):
        text = f"The mail server could not be reached or refused the message: {error}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:500]


def retry_delay(attempts: int) -> datetime.timedelta:
    """Back-off after the `attempts`-th failure: HMS_MESSAGE_RETRY_SECONDS, doubled each time."""
    return datetime.timedelta(seconds=settings.HMS_MESSAGE_RETRY_SECONDS * 2 ** (attempts - 1))


def message_send(
    *, message_id: int, now: datetime.datetime | None = None
) -> AppointmentMessage | None:
    """Send one message if it is still to be sent; record sent, failed (retrying later with
    back-off, failed for good after HMS_MESSAGE_ATTEMPTS tries), opted out, no address or not
    needed. Safe to call any number of times, from any number of workers: it sends at most
    once. Returns the row as left, or None when there was nothing to do."""
    now = now or timezone.now()
    message = _take(message_id, now)
    if message is None or message.status != MessageStatus.SENDING:
        return message
    try:
        where = _deliver(message)
    except Exception as error:  # noqa: BLE001 - any failure of the channel is recorded
        return _record_failure(message, error)
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.error = ""
    AppointmentMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=message.sent_at, error="", updated_at=message.sent_at
    )
    if where:
        logger.info("Message %s (%s) written to %s", message.pk, message.get_kind_display(), where)
    return message


@transaction.atomic
def _record_failure(message: AppointmentMessage, error: BaseException) -> AppointmentMessage:
    now = timezone.now()
    message.error = describe_error(error)
    if message.attempts < settings.HMS_MESSAGE_ATTEMPTS:
        message.status = MessageStatus.RETRYING
        message.next_attempt_at = now + retry_delay(message.attempts)
    else:
        message.status = MessageStatus.FAILED
        message.next_attempt_at = None
    AppointmentMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=message.status,
        error=message.error,
        next_attempt_at=message.next_attempt_at,
        updated_at=now,
    )
    # The details (an address) stay on the row, which only the desk sees.
    logger.warning(
        "Message %s not sent (try %s): %s", message.pk, message.attempts, type(error).__name__
    )
    if message.status == MessageStatus.RETRYING:
        from appointments import tasks

        tasks.queue_sends([message.pk], at=message.next_attempt_at)
    return message
