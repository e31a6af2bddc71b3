"""Booking, moving and cancelling an appointment tell the patient by e-mail, with an .ics that
puts it in their calendar, moves it and removes it; exactly once, whatever runs the send."""

import datetime
import zoneinfo

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.messaging import services as messaging
from appointments.messaging.models import AppointmentMessage, MessageStatus
from appointments.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.appointments.factories import doctor_with_hours
from tests.appointments.messaging import ZONE, calendar_of, event_of, send_all, tomorrow_at
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hospital_zone(settings):
    settings.TIME_ZONE = ZONE


@pytest.fixture
def clinician():
    return doctor_with_hours(weekdays=range(7), first_name="Ada", last_name="Okafor")


@pytest.fixture
def patient():
    return PatientFactory(first_name="Ines", last_name="Marsh", email="ines@example.org")


def book(patient, clinician, by, hour=10):
    return appointment_book(patient=patient, doctor=clinician, start=tomorrow_at(hour), by=by)


def test_it_writes_the_message_and_queues_its_job_with_the_booking(patient, clinician, front_desk):
    appointment = book(patient, clinician, front_desk)

    [message] = AppointmentMessage.objects.filter(appointment=appointment)
    assert (message.kind, message.channel, message.sequence, message.status) == (
        "booked",
        "email",
        0,
        MessageStatus.PENDING,
    )
    job = ProcrastinateJob.objects.get(task_name="appointments.message_send")
    assert job.args == {"message_id": message.pk}
    assert mail.outbox == []  # nothing leaves in the request


def test_it_emails_the_booking_with_a_calendar_file_in_the_hospitals_zone(
    patient, clinician, front_desk
):
    appointment = book(patient, clinician, front_desk, hour=10)

    send_all()

    [email] = mail.outbox
    assert email.to == ["ines@example.org"]
    assert email.subject == f"Your appointment on {tomorrow_at(10):%A %-d %B} at 10:00"
    assert "Dear Ines Marsh" in email.body
    assert "Dr Ada Okafor" in email.body
    assert f"When:  {tomorrow_at(10):%A %-d %B %Y}, 10:00 to 10:30" in email.body
    event = event_of(email)
    assert str(event["UID"]) == f"appointment-{appointment.pk}@localhost"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    start = event.decoded("DTSTART")
    assert start.tzinfo == zoneinfo.ZoneInfo(ZONE)
    assert start.replace(tzinfo=None) == datetime.datetime.combine(
        tomorrow_at(10).date(), datetime.time(10, 0)
    )
    assert start == appointment.start
    assert event.decoded("DTEND") == appointment.end
    assert str(event["ATTENDEE"]) == "mailto:ines@example.org"
    message = AppointmentMessage.objects.get(appointment=appointment)
    assert message.status == MessageStatus.SENT
    assert message.sent_at is not None
    assert message.to_address == "ines@example.org"


def test_it_raises_the_sequence_when_the_appointment_moves(patient, clinician, front_desk):
    appointment = book(patient, clinician, front_desk, hour=10)
    send_all()
    appointment_reschedule(appointment=appointment, start=tomorrow_at(14), by=front_desk)
    send_all()

    booked, moved = mail.outbox
    assert moved.subject.startswith("New time for your appointment")
    assert event_of(moved)["UID"] == event_of(booked)["UID"]
    assert event_of(moved)["SEQUENCE"] == 1
    assert event_of(moved).decoded("DTSTART") == tomorrow_at(14)
    assert event_of(moved).decoded("DTSTART").tzinfo == zoneinfo.ZoneInfo(ZONE)


def test_it_cancels_the_calendar_entry_when_the_appointment_is_cancelled(
    patient, clinician, front_desk
):
    appointment = book(patient, clinician, front_desk)
    send_all()
    appointment_cancel(appointment=appointment, reason="Patient called", by=front_desk)
    send_all()

    booked, cancelled = mail.outbox
    assert cancelled.subject.startswith("Cancelled: your appointment")
    [part] = cancelled.attachments
    assert part.get_param("method") == "CANCEL"
    event = event_of(cancelled)
    assert event["UID"] == event_of(booked)["UID"]
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"
    assert calendar_of(cancelled)["METHOD"] == "CANCEL"


def test_it_sends_only_the_newest_time_when_moved_twice_before_the_worker_ran(
    patient, clinician, front_desk
):
    appointment = book(patient, clinician, front_desk, hour=10)
    appointment_reschedule(appointment=appointment, start=tomorrow_at(11), by=front_desk)
    appointment_reschedule(appointment=appointment, start=tomorrow_at(15), by=front_desk)

    send_all()
    send_all()  # a retried job, a second worker: nothing more

    [email] = mail.outbox
    assert event_of(email)["SEQUENCE"] == 2
    assert event_of(email).decoded("DTSTART") == tomorrow_at(15)
    states = list(
        AppointmentMessage.objects.filter(appointment=appointment)
        .order_by("sequence")
        .values_list("sequence", "status", "error")
    )
    replaced = "A newer message about this appointment replaced it."
    assert states == [(0, "skipped", replaced), (1, "skipped", replaced), (2, "sent", "")]


def test_it_sends_a_message_once_however_often_its_job_runs(patient, clinician, front_desk):
    appointment = book(patient, clinician, front_desk)
    message = AppointmentMessage.objects.get(appointment=appointment)

    for _ in range(3):
        messaging.message_send(message_id=message.pk)

    assert len(mail.outbox) == 1


def test_it_records_a_patient_without_an_address_and_sends_nothing(clinician, front_desk):
    appointment = book(PatientFactory(email=""), clinician, front_desk)
    send_all()

    [message] = AppointmentMessage.objects.filter(appointment=appointment)
    assert message.status == MessageStatus.NO_ADDRESS
    assert mail.outbox == []
    assert not ProcrastinateJob.objects.exists()


def test_it_records_an_opted_out_patient_and_sends_nothing(clinician, front_desk):
    patient = PatientFactory(email="quiet@example.org", messages_opt_out=True)
    appointment = book(patient, clinician, front_desk)
    send_all()

    [message] = AppointmentMessage.objects.filter(appointment=appointment)
    assert message.status == MessageStatus.OPTED_OUT
    assert mail.outbox == []


def test_it_honours_an_opt_out_given_after_the_booking(patient, clinician, front_desk):
    appointment = book(patient, clinician, front_desk)
    patient.messages_opt_out = True
    patient.save()

    send_all()

    assert AppointmentMessage.objects.get(appointment=appointment).status == "opted_out"
    assert mail.outbox == []


def test_it_does_not_tell_a_patient_who_left_after_check_in(patient, clinician, front_desk):
    from appointments.models import AppointmentStatus

    appointment = book(patient, clinician, front_desk)
    type(appointment).objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CHECKED_IN)

    appointment_cancel(appointment=appointment, reason="Left", by=front_desk)

    assert list(appointment.messages.values_list("kind", flat=True)) == ["booked"]


def test_it_sends_a_text_message_too_through_the_configured_gateway(
    settings, patient, clinician, front_desk, caplog
):
    settings.HMS_SMS_BACKEND = "core.sms.LogSmsBackend"
    patient.phone = "+1 555 0100"
    patient.save()
    caplog.set_level("INFO", logger="core.sms")

    appointment = book(patient, clinician, front_desk, hour=9)
    send_all()

    by_channel = dict(appointment.messages.values_list("channel", "status"))
    assert by_channel == {"email": "sent", "sms": "sent"}
    [record] = [r for r in caplog.records if r.name == "core.sms"]
    assert record.getMessage().startswith("SMS to +1 555 0100: The hospital: your appointment")
    assert "09:00" in record.getMessage()
