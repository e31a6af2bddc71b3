"""A series' repeat rule changed from one of its appointments on: the ones from there
(scheduled, not begun) are cancelled and a new series with the new rule is booked in their
place, all or nothing; the earlier ones and the past stay; the history, the audit and the
patient's single message say so."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.messaging.models import AppointmentMessage
from appointments.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentStatusChange,
)
from appointments.series_plan import describe, occurrence_starts
from appointments.series_rule_services import (
    ended_rule,
    series_change_plan,
    series_change_rule,
)
from appointments.services import SlotUnavailable, appointment_book, series_book
from core.models import AuditEvent
from tests.appointments.factories import TUESDAY, WEEK, doctor_with_hours, tuesday, wednesday
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician():
    return doctor_with_hours(weekdays=(1, 2), first_name="Ada", last_name="Okafor")


@pytest.fixture
def patient():
    return PatientFactory(first_name="Ines", last_name="Marsh", email="ines@example.org")


@pytest.fixture
def weekly(patient, clinician):
    """Every Tuesday at 10:00, 6 times, for knee exercises."""
    return series_book(
        patient=patient,
        doctor=clinician,
        start=tuesday(0),
        rule="FREQ=WEEKLY;COUNT=6",
        reason="Knee exercises",
        by=None,
    )


def statuses(series_id):
    return dict(
        Appointment.objects.filter(series_id=series_id).values_list("series_index", "status")
    )


def test_it_replaces_the_rest_every_two_weeks_keeping_the_ones_before(
    weekly, patient, clinician, front_desk
):
    old = weekly[0].series

    booked = series_change_rule(
        appointment=weekly[2],
        start=tuesday(2),
        rule="FREQ=WEEKLY;INTERVAL=2;COUNT=4",
        by=front_desk,
    )

    assert [a.start for a in booked] == [tuesday(2), tuesday(4), tuesday(6), tuesday(8)]
    assert {a.reason for a in booked} == {"Knee exercises"}
    new = booked[0].series
    assert new.pk != old.pk and new.rule == "FREQ=WEEKLY;INTERVAL=2;COUNT=4"
    scheduled, cancelled = AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED
    assert statuses(old.pk) == {
        1: scheduled,
        2: scheduled,
        3: cancelled,
        4: cancelled,
        5: cancelled,
        6: cancelled,
    }
    reasons = set(
        Appointment.objects.filter(series=old, status=cancelled).values_list(
            "cancel_reason", flat=True
        )
    )
    assert reasons == {"Series changed: every 2 weeks on Tuesday at 10:00, 4 times"}
    # The old series ends with its second appointment: its rule says so.
    old.refresh_from_db()
    assert old.rule == f"FREQ=WEEKLY;UNTIL={TUESDAY + WEEK:%Y%m%d}T100000"
    assert occurrence_starts(rule=old.rule, start=old.first_start) == [tuesday(0), tuesday(1)]
    assert describe(old.rule, old.first_start).endswith(f"until {TUESDAY + WEEK:%d %B %Y}")


def test_it_moves_the_series_to_another_weekday_and_time_until_a_day(weekly, front_desk):
    booked = series_change_rule(
        appointment=weekly[3],
        start=wednesday(3, hour=14),
        rule=f"FREQ=WEEKLY;UNTIL={(TUESDAY + 6 * WEEK):%Y%m%d}T235959",
        by=front_desk,
    )

    assert [a.start for a in booked] == [wednesday(3, 14), wednesday(4, 14), wednesday(5, 14)]
    assert Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).count() == 3 + 3


def test_the_past_and_what_has_begun_stay(patient, clinician, front_desk):
    """An occurrence already over (completed) after the chosen one is not touched."""
    booked = series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=4", by=None
    )
    Appointment.objects.filter(pk=booked[3].pk).update(status=AppointmentStatus.COMPLETED)

    series_change_rule(
        appointment=booked[1], start=tuesday(1, 11), rule="FREQ=WEEKLY;COUNT=2", by=front_desk
    )

    old = statuses(booked[0].series_id)
    assert old == {1: "scheduled", 2: "cancelled", 3: "cancelled", 4: "completed"}


def test_a_clash_of_the_new_rule_changes_nothing_and_names_it(
    weekly, patient, clinician, front_desk
):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=wednesday(4), by=None)
    old = weekly[0].series
    rule_before = old.rule

    with pytest.raises(SlotUnavailable) as refused:
        series_change_rule(
            appointment=weekly[2], start=wednesday(2), rule="FREQ=WEEKLY;COUNT=4", by=front_desk
        )

    assert "1 appointment of the series cannot be booked" in str(refused.value)
    assert "(no. 3)" in str(refused.value)  # the third of the new rule: wednesday(4)
    assert set(statuses(old.pk).values()) == {AppointmentStatus.SCHEDULED}
    old.refresh_from_db()
    assert old.rule == rule_before
    assert AppointmentSeries.objects.count() == 1


def test_the_preview_shows_the_clash_with_an_alternative_and_writes_nothing(
    weekly, clinician, front_desk
):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=wednesday(4), by=None)
    events = AuditEvent.objects.count()

    plan = series_change_plan(appointment=weekly[2], start=wednesday(2), rule="FREQ=WEEKLY;COUNT=4")

    assert [o.index for o in plan.problems] == [3]
    assert plan.problems[0].alternative is not None
    # Its own old appointments (Tuesdays) are no clash: the new rule takes their place.
    same_time = series_change_plan(
        appointment=weekly[2], start=tuesday(2), rule="FREQ=WEEKLY;COUNT=4"
    )
    assert not same_time.problems
    assert set(statuses(weekly[0].series_id).values()) == {AppointmentStatus.SCHEDULED}
    assert AuditEvent.objects.count() == events
    assert not AppointmentMessage.objects.filter(kind="cancelled").exists()


def test_the_desk_skips_the_clash_and_the_rest_is_booked(weekly, clinician, front_desk):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=wednesday(4), by=None)

    booked = series_change_rule(
        appointment=weekly[2],
        start=wednesday(2),
        rule="FREQ=WEEKLY;COUNT=4",
        skip=[wednesday(4)],
        by=front_desk,
    )

    assert [a.series_index for a in booked] == [1, 2, 4]


def test_the_history_and_the_audit_link_the_two_series(weekly, front_desk):
    old = weekly[0].series

    booked = series_change_rule(
        appointment=weekly[4], start=tuesday(4), rule="FREQ=WEEKLY;COUNT=3", by=front_desk
    )

    new = booked[0].series
    created = AuditEvent.objects.get(
        action="create", object_type="appointments.appointmentseries", object_id=str(new.pk)
    )
    assert created.changes["continues_series"] == {"before": None, "after": old.pk}
    assert created.actor_id == front_desk.pk
    updated = AuditEvent.objects.get(
        action="update", object_type="appointments.appointmentseries", object_id=str(old.pk)
    )
    assert updated.changes["rule"]["before"] == "FREQ=WEEKLY;COUNT=6"
    assert updated.changes["rule"]["after"].startswith("FREQ=WEEKLY;UNTIL=")
    booked_note = AppointmentStatusChange.objects.get(appointment=booked[0]).note
    assert booked_note == f"Booked: no. 1 of a series, continuing series #{old.pk}"
    cancelled = AppointmentStatusChange.objects.filter(
        appointment=weekly[4], to_status=AppointmentStatus.CANCELLED
    ).get()
    assert cancelled.changed_by_id == front_desk.pk
    assert cancelled.note.startswith("Cancelled: Series changed: every Tuesday at 10:00")


def test_the_patient_hears_once_with_the_new_dates(weekly, patient):
    from django.core import mail

    from tests.appointments.messaging import send_all

    send_all()
    mail.outbox.clear()
    before = AppointmentMessage.objects.count()

    booked = series_change_rule(
        appointment=weekly[2], start=wednesday(2), rule="FREQ=WEEKLY;COUNT=3", by=None
    )

    new_messages = AppointmentMessage.objects.order_by("pk")[before:]
    assert [(m.kind, m.appointment_id) for m in new_messages] == [("booked", booked[0].pk)]
    send_all()
    [email] = mail.outbox
    # What changed, then the new dates (test_series_rule_message has the rest).
    assert f"Your appointments from {timezone.localtime(weekly[2].start):%A %-d %B} on" in (
        email.body
    )
    for appointment in booked:
        assert f"{timezone.localtime(appointment.start):%A %-d %B %Y}, 10:00" in email.body


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=HOURLY;COUNT=3", "daily, weekly or monthly"),
        ("FREQ=WEEKLY", "Say when the series ends"),
    ],
)
def test_a_bad_rule_changes_nothing(weekly, rule, words):
    with pytest.raises(ValidationError, match=words):
        series_change_rule(appointment=weekly[2], start=tuesday(2), rule=rule, by=None)

    assert set(statuses(weekly[0].series_id).values()) == {AppointmentStatus.SCHEDULED}


def test_the_new_rule_starts_after_the_appointment_before(weekly):
    with pytest.raises(ValidationError, match="stays as it is"):
        series_change_rule(
            appointment=weekly[2], start=tuesday(1, 9), rule="FREQ=WEEKLY;COUNT=2", by=None
        )


def test_a_cancelled_appointment_cannot_start_a_new_rule(weekly, front_desk):
    from appointments.services import appointment_cancel

    appointment_cancel(appointment=weekly[2], reason="Ill", by=front_desk)

    with pytest.raises(ValidationError, match="has not begun"):
        series_change_rule(
            appointment=weekly[2], start=tuesday(2), rule="FREQ=WEEKLY;COUNT=2", by=None
        )


def test_the_old_rule_ends_before_the_chosen_one():
    start = tuesday(3)
    assert ended_rule("RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=9", last=start) == (
        f"FREQ=WEEKLY;INTERVAL=2;UNTIL={TUESDAY + 3 * WEEK:%Y%m%d}T100000"
    )


def test_from_the_first_appointment_the_whole_series_is_replaced(weekly, front_desk):
    old = weekly[0].series

    booked = series_change_rule(
        appointment=weekly[0], start=tuesday(0, 11), rule="FREQ=WEEKLY;COUNT=2", by=front_desk
    )

    assert [a.start for a in booked] == [tuesday(0, 11), tuesday(1, 11)]
    assert set(statuses(old.pk).values()) == {AppointmentStatus.CANCELLED}
    old.refresh_from_db()
    assert "COUNT" not in old.rule and "UNTIL=" in old.rule
