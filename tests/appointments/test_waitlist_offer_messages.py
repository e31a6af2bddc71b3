"""A waiter offered a freed slot hears of it: an e-mail or a text message (as the hospital's
other messages go: each channel set up, the patient's address, their opt-out), naming the
doctor, the time and until when to call; through the same message rows and jobs, written with
the offer (an offer rolled back sends nothing)."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from appointments.messaging.models import AppointmentMessage, MessageStatus
from appointments.services import appointment_cancel, waitlist_add
from appointments.waitlist.models import OfferStatus
from appointments.waitlist.services import offer_book, offer_pass
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.appointments.messaging import ZONE, send_all
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hospital_zone(settings):
    settings.TIME_ZONE = ZONE
    settings.DEFAULT_FROM_EMAIL = "St. Aurelia Hospital <appointments@aurelia.example>"


@pytest.fixture
def dr(db):
    return doctor_with_hours(first_name="Ada", last_name="Okafor")


def wait(doctor, patient):
    return waitlist_add(
        patient=patient,
        day_from=MONDAY,
        day_to=MONDAY + datetime.timedelta(days=6),
        doctor=doctor,
        by=None,
    )


def free(doctor, hour):
    appointment = AppointmentFactory(doctor=doctor, start=at(hour), end=at(hour, 30))
    appointment_cancel(appointment=appointment, reason="Patient called", by=None)


def offered(entry):
    return AppointmentMessage.objects.filter(offer__entry=entry, kind="offered")


def _local(moment):
    return timezone.localtime(moment, timezone.get_default_timezone())


def test_it_emails_the_waiter_the_doctor_the_time_and_until_when_to_call(dr):
    waiter = wait(dr, PatientFactory(first_name="Ines", email="ines@example.org", phone=""))
    free(dr, 10)

    [message] = offered(waiter)
    offer = waiter.offers.get(status=OfferStatus.OPEN)
    assert (message.appointment, message.offer, message.channel, message.status) == (
        None,
        offer,
        "email",
        MessageStatus.PENDING,
    )
    assert ProcrastinateJob.objects.filter(args={"message_id": message.pk}).exists()

    send_all()

    [email] = mail.outbox
    expires = _local(offer.expires_at).strftime("%H:%M")
    assert email.to == ["ines@example.org"]
    assert email.subject == "A time with Dr Ada Okafor has become free: Monday 4 March at 10:00"
    assert "A time with Dr Ada Okafor on Monday 4 March at 10:00 has become free." in email.body
    assert f"Call St. Aurelia Hospital before {expires} on " in email.body
    assert "http" not in email.body  # every page needs a login: no link
    assert email.attachments == []  # nothing is booked yet: no calendar file
    assert AppointmentMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_it_texts_a_waiter_without_an_e_mail_address(dr, settings, caplog):
    settings.HMS_SMS_BACKEND = "core.sms.LogSmsBackend"
    caplog.set_level("INFO", logger="core.sms")
    waiter = wait(dr, PatientFactory(email="", phone="+1 555 0100"))
    free(dr, 10)

    send_all()

    assert dict(offered(waiter).values_list("channel", "status")) == {
        "email": MessageStatus.NO_ADDRESS,
        "sms": MessageStatus.SENT,
    }
    assert mail.outbox == []
    offer = waiter.offers.get()
    [record] = [r for r in caplog.records if "+1 555 0100" in r.getMessage()]
    assert record.getMessage() == (
        "SMS to +1 555 0100: St. Aurelia Hospital: a time with Dr Ada Okafor on Mon 4 Mar at "
        f"10:00 has become free. Call St. Aurelia Hospital before "
        f"{_local(offer.expires_at):%H:%M} ({_local(offer.expires_at):%a} "
        f"{_local(offer.expires_at).day} {_local(offer.expires_at):%b}) to take it."
    )


def test_it_sends_nothing_to_a_waiter_with_no_address_or_who_opted_out(dr):
    nowhere = wait(dr, PatientFactory(email="", phone=""))
    free(dr, 10)
    quiet = wait(dr, PatientFactory(email="quiet@example.org", messages_opt_out=True))
    free(dr, 11)

    send_all()

    assert list(offered(nowhere).values_list("status", flat=True)) == [MessageStatus.NO_ADDRESS]
    assert list(offered(quiet).values_list("status", flat=True)) == [MessageStatus.OPTED_OUT]
    assert mail.outbox == []


def test_an_offer_rolled_back_sends_nothing(dr):
    wait(dr, PatientFactory(email="ines@example.org"))

    with pytest.raises(RuntimeError), transaction.atomic():
        free(dr, 10)
        assert AppointmentMessage.objects.filter(kind="offered").count() == 1
        raise RuntimeError("the cancellation failed after the match")

    assert not AppointmentMessage.objects.exists()
    assert not ProcrastinateJob.objects.exists()


def test_a_waiter_offered_again_after_passing_gets_a_new_message(dr, front_desk):
    waiter = wait(dr, PatientFactory(email="ines@example.org"))
    free(dr, 10)
    offer_pass(offer=waiter.offers.get(), by=front_desk)
    free(dr, 11)

    messages = offered(waiter).order_by("pk")
    assert [_local(m.offer.start).hour for m in messages] == [10, 11]
    send_all()
    assert [e.subject[-5:] for e in mail.outbox] == ["11:00"]  # the passed one is not sent


def test_a_message_whose_offer_closed_before_it_left_is_not_sent(dr, front_desk):
    waiter = wait(dr, PatientFactory(email="ines@example.org"))
    free(dr, 10)
    offer_book(offer=waiter.offers.get(), by=front_desk)

    send_all()

    [message] = offered(waiter)
    assert message.status == MessageStatus.SKIPPED
    assert message.error == "The offer is closed (booked)."
    assert [e.subject for e in mail.outbox] == ["Your appointment on Monday 4 March at 10:00"]


@pytest.mark.parametrize("about", ["both", "neither"])
def test_the_database_wants_an_appointment_or_an_offer_not_both(dr, about):
    waiter = wait(dr, PatientFactory(email="ines@example.org"))
    free(dr, 10)
    offer = waiter.offers.get()
    appointment = AppointmentFactory(doctor=dr, start=at(12), end=at(12, 30))
    both = {"appointment": appointment, "offer": offer}

    with pytest.raises(
        IntegrityError, match="appointments_appointmentmessage_appointment_or_offer"
    ):
        with transaction.atomic():
            AppointmentMessage.objects.create(
                kind="offered", channel="sms", sequence=0, **(both if about == "both" else {})
            )


def test_the_admin_lists_and_opens_an_offers_message(dr, admin_user, client):
    from django.urls import reverse

    waiter = wait(dr, PatientFactory(email="ines@example.org", last_name="Marsh"))
    free(dr, 10)
    [message] = offered(waiter)
    client.force_login(admin_user)

    listing = client.get(
        reverse("admin:appointments_appointmentmessage_changelist"), {"q": "Marsh"}
    )
    page = client.get(reverse("admin:appointments_appointmentmessage_change", args=[message.pk]))

    assert listing.status_code == page.status_code == 200
    assert list(listing.context["cl"].result_list) == [message]
    assert "Waitlist offer" in listing.content.decode()


def test_the_waitlist_page_shows_how_the_waiter_was_told(dr, front_desk, client, settings):
    from django.urls import reverse

    settings.HMS_SMS_BACKEND = "core.sms.LogSmsBackend"
    wait(dr, PatientFactory(email="ines@example.org", phone=""))
    free(dr, 10)
    client.force_login(front_desk)

    page = client.get(reverse("appointments:waitlist")).content.decode()

    assert "Told: E-mail on its way; SMS not sent (no address)" in page
