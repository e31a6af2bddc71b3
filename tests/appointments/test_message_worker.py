"""Messages leave through the real job engine: a procrastinate worker on the real database
takes the jobs the booking and the periodic reminder queued, and sends each message once."""

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments import tasks
from appointments.messaging.models import AppointmentMessage
from appointments.services import appointment_book
from tests.appointments.factories import doctor_with_hours
from tests.appointments.messaging import ZONE, event_of, tomorrow_at
from tests.factories import PatientFactory
from tests.jobs import worker as jobs_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def hospital_zone(settings):
    settings.TIME_ZONE = ZONE


def run_worker() -> None:
    """One worker on the messages queue until it is empty, with its own connection."""
    jobs_worker.run_worker(queues=[tasks.QUEUE])


def book_tomorrow(email="noor@example.org"):
    patient = PatientFactory(email=email)
    doctor = doctor_with_hours(weekdays=range(7))
    return appointment_book(patient=patient, doctor=doctor, start=tomorrow_at(10), by=None)


def test_a_worker_sends_the_booking_once(settings):
    settings.HMS_REMINDER_HOURS = 1  # the worker's periodic reminders find nothing to add
    appointment = book_tomorrow()

    run_worker()
    run_worker()

    [email] = mail.outbox
    assert event_of(email)["UID"] == f"appointment-{appointment.pk}@localhost"
    assert AppointmentMessage.objects.get(appointment=appointment).status == "sent"
    job = ProcrastinateJob.objects.get(task_name="appointments.message_send")
    assert job.status == "succeeded"


def test_a_worker_runs_the_periodic_reminder_and_sends_it_once(settings):
    # The worker's own periodic deferrer may queue the reminders too: none due yet.
    settings.HMS_REMINDER_HOURS = 1
    appointment = book_tomorrow()
    run_worker()
    mail.outbox.clear()
    settings.HMS_REMINDER_HOURS = 48

    tasks.reminders_send.defer(timestamp=0)
    tasks.reminders_send.configure(queueing_lock="a second run").defer(timestamp=1)
    run_worker()

    [email] = mail.outbox
    assert email.subject.startswith("Reminder: your appointment")
    [reminder] = AppointmentMessage.objects.filter(appointment=appointment, kind="reminder")
    assert reminder.status == "sent"
