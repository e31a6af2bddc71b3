"""The desk sees on the appointment's page what was sent to the patient and when, and sends
the details again (an audited action); other roles see no messages."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments.messaging import services as messaging
from appointments.messaging.models import AppointmentMessage, MessageStatus
from appointments.models import AppointmentStatus
from appointments.services import appointment_book
from core.models import AuditEvent
from tests.appointments.factories import doctor_with_hours
from tests.appointments.messaging import ZONE, send_all, tomorrow_at
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hospital_zone(settings):
    settings.TIME_ZONE = ZONE


def booked(email="lena@example.org", **fields):
    patient = PatientFactory(email=email, **fields)
    doctor = doctor_with_hours(weekdays=range(7))
    return appointment_book(patient=patient, doctor=doctor, start=tomorrow_at(10), by=None)


def page(client, appointment):
    return client.get(reverse("appointments:appointment_detail", args=[appointment.pk]))


def resend(client, appointment):
    url = reverse("appointments:message_resend", args=[appointment.pk])
    return client.post(url, follow=True)


def test_the_desk_sees_what_was_sent_and_when(login, front_desk, settings):
    sent = booked()
    send_all()
    settings.EMAIL_BACKEND = "tests.appointments.messaging.RefusingBackend"
    settings.HMS_MESSAGE_ATTEMPTS = 1
    failed = booked(email="nobody@refused.example")
    send_all()
    quiet = booked(messages_opt_out=True)
    unknown = booked(email="")
    client = login(front_desk)

    html = page(client, sent).content.decode()
    assert "Messages to the patient" in html
    assert "Booking confirmation" in html
    assert "to lena@example.org" in html
    message = AppointmentMessage.objects.get(appointment=sent)
    assert f"Sent</span> {timezone.localtime(message.sent_at):%Y-%m-%d %H:%M}" in html

    html = page(client, failed).content.decode()
    assert "Failed</span> after 1 try" in html
    assert "The mail server refused the address" in html
    assert "Not sent: the patient opted out" in page(client, quiet).content.decode()
    assert "no e-mail address on the patient's form" in page(client, unknown).content.decode()


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_other_roles_see_no_messages(request, login, role):
    appointment = booked()
    client = login(request.getfixturevalue(role))

    response = page(client, appointment)

    assert response.status_code == 200
    assert "Messages to the patient" not in response.content.decode()
    assert resend(client, appointment).status_code == 403


def test_the_desk_sends_the_details_again_and_it_is_audited(login, front_desk):
    appointment = booked()
    send_all()
    client = login(front_desk)

    response = resend(client, appointment)

    assert "The details go to the patient again by e-mail." in response.content.decode()
    again = AppointmentMessage.objects.get(appointment=appointment, copy=1)
    assert (again.kind, again.sequence, again.status) == ("booked", 0, MessageStatus.PENDING)
    assert again.requested_by == front_desk
    event = AuditEvent.objects.get(object_type="appointments.appointmentmessage")
    assert (event.action, event.actor, event.patient_id) == (
        "create",
        front_desk,
        appointment.patient_id,
    )
    assert event.object_id == str(again.pk)
    send_all()
    assert len(mail.outbox) == 2
    assert "As asked, here are the details of your appointment again." in mail.outbox[1].body
    assert "(sent again by" in page(client, appointment).content.decode()


def test_a_second_resend_is_a_new_copy_not_a_duplicate(login, front_desk):
    appointment = booked()
    client = login(front_desk)

    resend(client, appointment)
    resend(client, appointment)

    copies = AppointmentMessage.objects.filter(appointment=appointment).values_list("copy")
    assert sorted(c for (c,) in copies) == [0, 1, 2]


def test_it_says_why_nothing_can_be_sent_again(login, front_desk):
    appointment = booked(email="")
    done = booked()
    type(done).objects.filter(pk=done.pk).update(status=AppointmentStatus.COMPLETED)
    client = login(front_desk)

    html = resend(client, appointment).content.decode()
    assert "Nothing could be sent (E-mail: Not sent: no address)." in html

    html = resend(client, done).content.decode()
    assert "This appointment is completed; there is nothing to send about it any more." in html
    assert not AppointmentMessage.objects.filter(appointment=done, copy__gt=0).exists()


def test_it_resends_a_cancellation_as_a_cancellation(front_desk):
    from appointments.services import appointment_cancel

    appointment = booked()
    appointment_cancel(appointment=appointment, reason="Doctor ill", by=front_desk)

    [row] = messaging.message_resend(appointment=appointment, by=front_desk)

    assert (row.kind, row.sequence, row.copy) == ("cancelled", 1, 1)


def test_the_patient_form_records_the_opt_out_and_keeps_it(login, front_desk):
    patient = PatientFactory(first_name="Otto", last_name="Quist", email="otto@example.org")
    client = login(front_desk)
    url = reverse("patients:patient_update", args=[patient.pk])
    form = {
        "first_name": "Otto",
        "last_name": "Quist",
        "sex": "male",
        "email": "otto@example.org",
        "messages_opt_out": "on",
    }

    assert 'name="messages_opt_out"' in client.get(url).content.decode()
    client.post(url, form)
    patient.refresh_from_db()
    assert patient.messages_opt_out

    event = AuditEvent.objects.filter(object_type="patients.patient").latest("pk")
    assert event.changes["messages_opt_out"] == {"before": False, "after": True}
    client.post(url, {**form, "first_name": "Otto J."})  # an edit keeps it
    patient.refresh_from_db()
    assert patient.messages_opt_out
    client.post(url, {key: value for key, value in form.items() if key != "messages_opt_out"})
    patient.refresh_from_db()
    assert not patient.messages_opt_out
