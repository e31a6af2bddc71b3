"""A series whose repeat rule changed: the new series names the one it continues (a real
link, shown on both series' pages), and the patient's one message says what changed: the
cancelled dates and the new ones, with a calendar file that removes the cancelled ones."""

import datetime

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.messaging.ics import appointment_uid
from appointments.messaging.models import AppointmentMessage
from appointments.messaging.services import message_resend
from appointments.models import AppointmentSeries
from appointments.series_rule_services import series_change_rule
from appointments.services import appointment_reschedule, series_book
from tests.appointments.factories import doctor_with_hours, tuesday, wednesday
from tests.appointments.messaging import send_all
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


@pytest.fixture
def patient():
    return PatientFactory(
        first_name="Ines", last_name="Marsh", email="ines@example.org", phone="+1 555 0100"
    )


@pytest.fixture
def weekly(patient):
    """Every Tuesday at 10:00, 6 times; its booking message already sent."""
    booked = series_book(
        patient=patient,
        doctor=doctor_with_hours(weekdays=(1, 2), first_name="Ada", last_name="Okafor"),
        start=tuesday(0),
        rule="FREQ=WEEKLY;COUNT=6",
        reason="Knee exercises",
        by=None,
    )
    send_all()
    mail.outbox.clear()
    return booked


def change_to_wednesdays(weekly, by=None):
    """From no. 3 on, Wednesdays at 10:00, 3 times."""
    return series_change_rule(
        appointment=weekly[2], start=wednesday(2), rule="FREQ=WEEKLY;COUNT=3", by=by
    )


def attachments(email) -> dict[str, icalendar.Calendar]:
    parts = [a for a in email.attachments if not isinstance(a, tuple)]
    for part in parts:
        assert part.get_content_type() == "text/calendar"
    return {
        p.get_filename(): (
            p.get_param("method"),
            icalendar.Calendar.from_ical(p.get_payload(decode=True)),
        )
        for p in parts
    }


# --- The link ------------------------------------------------------------------------------


def test_the_new_series_continues_the_old_one(weekly, front_desk):
    old = weekly[0].series

    booked = change_to_wednesdays(weekly, by=front_desk)

    new = AppointmentSeries.objects.get(pk=booked[0].series_id)
    assert new.continues == old
    assert list(old.continued_by.all()) == [new]
    assert old.continues is None


def test_both_series_pages_link_to_each_other(client, front_desk, weekly):
    old = weekly[0].series
    booked = change_to_wednesdays(weekly, by=front_desk)
    client.force_login(front_desk)

    new_page = client.get(f"/appointments/{booked[1].pk}/").content.decode()
    old_page = client.get(f"/appointments/{weekly[0].pk}/").content.decode()

    first = f"{local(wednesday(2)):%a %-d %b %Y}"
    # The new one names the old, linked by its last appointment kept (no. 2).
    assert (
        f'Continues <a href="/appointments/{weekly[1].pk}/">series #{old.pk}</a> from {first}.'
        in new_page
    )
    assert (
        f'Continued from <a href="/appointments/{booked[0].pk}/">{first}</a> by a new repeat rule.'
        in old_page
    )
    # Each page lists only its own series' appointments.
    assert new_page.count("data-series-row=") == 3
    assert old_page.count("data-series-row=") == 6


def test_a_series_booked_afresh_names_no_other(client, front_desk, weekly):
    client.force_login(front_desk)

    page = client.get(f"/appointments/{weekly[0].pk}/").content.decode()

    assert weekly[0].series.continues is None
    assert "Continues" not in page and "Continued from" not in page


def test_the_links_cost_the_appointment_page_no_query(client, front_desk, weekly):
    client.force_login(front_desk)
    client.get(f"/appointments/{weekly[1].pk}/")  # warm up: sessions, permissions

    with CaptureQueriesContext(connection) as alone:
        client.get(f"/appointments/{weekly[1].pk}/")
    change_to_wednesdays(weekly, by=front_desk)
    with CaptureQueriesContext(connection) as linked:
        page = client.get(f"/appointments/{weekly[1].pk}/")

    assert "by a new repeat rule" in page.content.decode()
    assert len(linked) == len(alone)


def test_the_migration_links_the_series_changed_before_it_from_their_audit_row(weekly):
    """A series changed before 0013 named the one it continues only in its audit row."""
    import importlib

    migration = importlib.import_module("appointments.migrations.0013_series_continues")
    booked = change_to_wednesdays(weekly)
    AppointmentSeries.objects.filter(pk=booked[0].series_id).update(continues=None)

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    new = AppointmentSeries.objects.get(pk=booked[0].series_id)
    assert new.continues_id == weekly[0].series_id
    assert AppointmentSeries.objects.get(pk=weekly[0].series_id).continues_id is None


# --- The patient's message -----------------------------------------------------------------


def test_the_email_names_the_cancelled_and_the_new_dates(weekly, front_desk):
    booked = change_to_wednesdays(weekly, by=front_desk)

    send_all()

    [email] = mail.outbox
    assert email.subject == f"Your appointments have changed from {local(tuesday(2)):%A %-d %B}"
    body = email.body
    assert f"Your appointments from {local(tuesday(2)):%A %-d %B} on have changed." in body
    cancelled, new = body.split("Cancelled")[1].split("Your new appointments")
    for gone in weekly[2:]:
        assert f"{local(gone.start):%A %-d %B %Y}, 10:00" in cancelled
    for kept in weekly[:2]:
        assert f"{local(kept.start):%A %-d %B %Y}" not in body
    for appointment in booked:
        assert f"{local(appointment.start):%A %-d %B %Y}, 10:00" in new.split("The first")[0]
    assert "cancelled.ics" in body


def test_the_email_carries_the_new_appointment_and_cancels_the_replaced_ones(weekly, front_desk):
    # No. 4 was moved once (its message told SEQUENCE 1): its cancellation tells more.
    appointment_reschedule(appointment=weekly[3], start=tuesday(3, 11), by=front_desk)
    send_all()
    mail.outbox.clear()
    booked = change_to_wednesdays(weekly, by=front_desk)

    send_all()

    [email] = mail.outbox
    calendars = attachments(email)
    assert set(calendars) == {"appointment.ics", "cancelled.ics"}
    method, added = calendars["appointment.ics"]
    assert method == "REQUEST" and added["METHOD"] == "REQUEST"
    [event] = added.walk("VEVENT")
    assert str(event["UID"]) == appointment_uid(booked[0].pk)
    method, removed = calendars["cancelled.ics"]
    assert method == "CANCEL" and removed["METHOD"] == "CANCEL"
    events = removed.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [appointment_uid(a.pk) for a in weekly[2:]]
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    sequences = {str(e["UID"]): int(e["SEQUENCE"]) for e in events}
    assert sequences[appointment_uid(weekly[3].pk)] == 2
    assert sequences[appointment_uid(weekly[2].pk)] == 1
    for appointment in weekly[2:]:
        told = AppointmentMessage.objects.filter(appointment=appointment).values_list(
            "sequence", flat=True
        )
        assert sequences[appointment_uid(appointment.pk)] > max(told, default=0)
    starts = [e.decoded("DTSTART") for e in events]
    assert starts == [weekly[2].start, tuesday(3, 11), weekly[4].start, weekly[5].start]


def test_the_text_message_names_the_cancelled_and_the_new_dates(
    settings, weekly, front_desk, caplog
):
    settings.HMS_SMS_BACKEND = "core.sms.LogSmsBackend"
    caplog.set_level("INFO", logger="core.sms")
    booked = change_to_wednesdays(weekly, by=front_desk)

    send_all()

    [record] = [r for r in caplog.records if r.name == "core.sms"]
    text = record.getMessage()
    assert f"Your appointments from {local(tuesday(2)):%a %-d %b} on have changed." in text
    cancelled, new = text.split("Cancelled:")[1].split("New:")
    assert cancelled.count("10:00") == 4 and f"{local(weekly[5].start):%a %-d %b}" in cancelled
    for appointment in booked:
        assert f"{local(appointment.start):%a %-d %b} 10:00" in new


def test_a_second_change_of_the_same_series_tells_only_what_it_replaced(weekly, front_desk):
    """From no. 5 to Wednesdays, then from no. 2 to 14:00: the second message cancels nos. 2
    to 4 only (5 and 6 were the first change's), and the first one, sent again, still its
    own."""
    first = series_change_rule(
        appointment=weekly[4], start=wednesday(4), rule="FREQ=WEEKLY;COUNT=2", by=front_desk
    )
    send_all()
    mail.outbox.clear()

    series_change_rule(
        appointment=weekly[1], start=tuesday(1, 14), rule="FREQ=WEEKLY;COUNT=3", by=front_desk
    )
    message_resend(appointment=first[0], by=front_desk)
    send_all()

    second_email, first_again = mail.outbox
    _, removed = attachments(second_email)["cancelled.ics"]
    assert [str(e["UID"]) for e in removed.walk("VEVENT")] == [
        appointment_uid(a.pk) for a in weekly[1:4]
    ]
    assert second_email.subject.endswith(f"{local(tuesday(1)):%A %-d %B}")
    _, removed = attachments(first_again)["cancelled.ics"]
    assert [str(e["UID"]) for e in removed.walk("VEVENT")] == [
        appointment_uid(a.pk) for a in weekly[4:]
    ]


def test_a_plain_series_booking_message_is_unchanged(patient):
    series_book(
        patient=patient,
        doctor=doctor_with_hours(weekdays=(1,)),
        start=tuesday(10),
        rule="FREQ=WEEKLY;COUNT=2",
        by=None,
    )

    send_all()

    [email] = mail.outbox
    assert email.subject == f"Your appointment on {local(tuesday(10)):%A %-d %B} at 10:00"
    assert "This is the first of 2 appointments booked for you as a series" in email.body
    assert "changed" not in email.body
    assert set(attachments(email)) == {"appointment.ics"}
