"""The reminder before an appointment: sent once by the periodic job, never for cancelled or
past appointments, and never twice, even from two workers at once; a mail server that
refuses the address ends it as failed after its retries."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.models import F
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.messaging import services as messaging
from appointments.messaging.models import AppointmentMessage, MessageStatus
from appointments.models import AppointmentStatus
from appointments.services import appointment_book, appointment_cancel
from tests.appointments.factories import doctor_with_hours
from tests.appointments.messaging import ZONE, event_of, send_all, tomorrow_at
from tests.concurrency import together
from tests.factories import AppointmentFactory, PatientFactory

HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def hospital_zone(settings):
    settings.TIME_ZONE = ZONE


@pytest.fixture
def clinician(db):
    return doctor_with_hours(weekdays=range(7))


def booked_tomorrow(clinician, hour=10, **patient_fields):
    patient = PatientFactory(**{"email": "rhea@example.org", **patient_fields})
    appointment = appointment_book(
        patient=patient, doctor=clinician, start=tomorrow_at(hour), by=None
    )
    send_all()  # the booking's own confirmation
    mail.outbox.clear()
    return appointment


def reminders(appointment):
    return AppointmentMessage.objects.filter(appointment=appointment, kind="reminder")


@pytest.mark.django_db
def test_it_reminds_once_a_day_before_and_never_twice(clinician, settings):
    settings.HMS_REMINDER_HOURS = 24
    appointment = booked_tomorrow(clinician)
    a_day_before = appointment.start - 23 * HOUR

    assert messaging.reminders_queue(now=appointment.start - 25 * HOUR) == []
    queued = messaging.reminders_queue(now=a_day_before)
    send_all()
    assert messaging.reminders_queue(now=a_day_before) == []
    assert messaging.reminders_queue(now=a_day_before + HOUR) == []
    send_all()

    [reminder] = reminders(appointment)
    assert queued == [reminder.pk]
    assert reminder.status == MessageStatus.SENT
    [email] = mail.outbox
    assert email.subject.startswith("Reminder: your appointment on")
    assert event_of(email).decoded("DTSTART") == appointment.start
    assert event_of(email)["SEQUENCE"] == 0
    jobs = ProcrastinateJob.objects.filter(task_name="appointments.message_send")
    assert jobs.filter(args={"message_id": reminder.pk}).count() == 1


@pytest.mark.django_db
def test_it_takes_the_reminder_time_from_the_setting(clinician, settings):
    settings.HMS_REMINDER_HOURS = 2
    appointment = booked_tomorrow(clinician)

    assert messaging.reminders_queue(now=appointment.start - 3 * HOUR) == []
    assert len(messaging.reminders_queue(now=appointment.start - 2 * HOUR)) == 1


@pytest.mark.django_db
def test_it_reminds_nobody_of_a_cancelled_or_past_appointment(clinician):
    cancelled = booked_tomorrow(clinician, hour=10)
    appointment_cancel(appointment=cancelled, reason="Called", by=None)
    past = AppointmentFactory(
        doctor=clinician,
        patient=PatientFactory(email="gone@example.org"),
        start=tomorrow_at(11) - 48 * HOUR,
        end=tomorrow_at(11) - 47 * HOUR,
    )

    messaging.reminders_queue(now=tomorrow_at(9))

    assert not reminders(cancelled).exists()
    assert not reminders(past).exists()


@pytest.mark.django_db
def test_it_drops_a_reminder_whose_appointment_was_cancelled_before_it_left(clinician):
    appointment = booked_tomorrow(clinician)
    [pk] = messaging.reminders_queue(now=appointment.start - 2 * HOUR)
    appointment_cancel(appointment=appointment, reason="Called", by=None)
    mail.outbox.clear()

    messaging.message_send(message_id=pk, now=appointment.start - 2 * HOUR)

    reminder = AppointmentMessage.objects.get(pk=pk)
    assert (reminder.status, reminder.error) == ("skipped", "The appointment is cancelled.")
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_shows_opted_out_and_missing_addresses_on_the_reminder(clinician):
    quiet = booked_tomorrow(clinician, hour=10, messages_opt_out=True)
    unknown = booked_tomorrow(clinician, hour=11, email="")

    queued = messaging.reminders_queue(now=tomorrow_at(8))

    assert queued == []
    assert reminders(quiet).get().status == MessageStatus.OPTED_OUT
    assert reminders(unknown).get().status == MessageStatus.NO_ADDRESS
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_retries_an_address_the_mail_server_refuses_then_shows_it_failed(clinician, settings):
    settings.EMAIL_BACKEND = "tests.appointments.messaging.RefusingBackend"
    settings.HMS_MESSAGE_ATTEMPTS = 3
    settings.HMS_MESSAGE_RETRY_SECONDS = 60
    appointment = booked_tomorrow(clinician, email="nobody@refused.example")
    booking = AppointmentMessage.objects.get(appointment=appointment, kind="booked")
    now = booking.created_at

    seen = []
    for minutes in (0, 1, 3, 10):
        messaging.message_send(message_id=booking.pk, now=now + datetime.timedelta(minutes=minutes))
        booking.refresh_from_db()
        seen.append((booking.status, booking.attempts))

    assert seen == [("retrying", 1), ("retrying", 2), ("failed", 3), ("failed", 3)]
    assert booking.error.startswith("The mail server refused the address (nobody@refused.example:")
    assert "550" in booking.error
    assert mail.outbox == []
    retries = ProcrastinateJob.objects.filter(
        task_name="appointments.message_send", args={"message_id": booking.pk}
    ).exclude(scheduled_at=None)
    assert retries.count() == 2


@pytest.mark.django_db
def test_it_does_not_try_again_before_the_back_off_has_passed(clinician, settings):
    settings.EMAIL_BACKEND = "tests.appointments.messaging.RefusingBackend"
    appointment = booked_tomorrow(clinician, email="nobody@refused.example")
    booking = AppointmentMessage.objects.get(appointment=appointment, kind="booked")
    messaging.message_send(message_id=booking.pk)

    assert messaging.message_send(message_id=booking.pk) is None  # its next try is not due
    booking.refresh_from_db()
    assert (booking.status, booking.attempts) == ("retrying", 1)


@pytest.mark.django_db
def test_it_marks_a_send_interrupted_by_a_dead_worker_as_failed(clinician):
    appointment = booked_tomorrow(clinician)
    [pk] = messaging.reminders_queue(now=appointment.start - 2 * HOUR)
    AppointmentMessage.objects.filter(pk=pk).update(status=MessageStatus.SENDING)
    later = appointment.start  # long after the worker took it

    messaging.messages_sweep(now=later)

    reminder = AppointmentMessage.objects.get(pk=pk)
    assert reminder.status == MessageStatus.FAILED
    assert reminder.error.startswith("Interrupted while sending")


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_write_and_send_each_reminder_once(clinician):
    appointments = [booked_tomorrow(clinician, hour=hour) for hour in (9, 10, 11, 12)]
    now = tomorrow_at(8)

    def worker():
        messaging.reminders_queue(now=now)
        for pk in reminders_of(appointments):
            messaging.message_send(message_id=pk, now=now)
        return True

    outcomes = together([worker, worker])

    assert outcomes == [True, True]
    assert sorted(m.to[0] for m in mail.outbox) == ["rhea@example.org"] * 4
    assert len({event_of(m)["UID"] for m in mail.outbox}) == 4
    assert reminders_count(appointments) == 4
    assert connection.vendor == "postgresql"


def reminders_of(appointments):
    return list(
        AppointmentMessage.objects.filter(
            appointment__in=appointments, kind="reminder"
        ).values_list("pk", flat=True)
    )


def reminders_count(appointments):
    return AppointmentMessage.objects.filter(
        appointment__in=appointments, kind="reminder", status="sent"
    ).count()


@pytest.mark.django_db
def test_it_reminds_again_for_the_new_time_after_a_move(clinician):
    from appointments.services import appointment_reschedule

    appointment = booked_tomorrow(clinician, hour=10)
    messaging.reminders_queue(now=tomorrow_at(8))
    send_all()
    appointment_reschedule(appointment=appointment, start=tomorrow_at(15), by=None)
    send_all()
    mail.outbox.clear()

    messaging.reminders_queue(now=tomorrow_at(9))
    send_all()

    [email] = mail.outbox
    assert email.subject.startswith("Reminder")
    assert event_of(email)["SEQUENCE"] == 1
    assert event_of(email).decoded("DTSTART") == tomorrow_at(15)
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.django_db
def test_the_periodic_job_queues_again_only_a_message_whose_job_was_lost(clinician, settings):
    from appointments import tasks

    settings.HMS_REMINDER_HOURS = 1  # no reminder today: only the sweep's work is seen
    waiting = booked_tomorrow(clinician, hour=9)
    lost = booked_tomorrow(clinician, hour=10)
    for appointment in (waiting, lost):
        appointment_cancel(appointment=appointment, reason="Called", by=None)
    rows = AppointmentMessage.objects.filter(kind="cancelled")
    rows.update(updated_at=F("updated_at") - datetime.timedelta(minutes=30))
    lost_row = rows.get(appointment=lost)
    jobs = ProcrastinateJob.objects.filter(task_name="appointments.message_send")
    jobs.filter(args={"message_id": lost_row.pk}).delete()

    tasks.reminders_send(timestamp=0)

    for row in rows:  # one job each: the lost one queued again, the waiting one not twice
        assert jobs.filter(status="todo", args={"message_id": row.pk}).count() == 1
