"""Recurring series: the rule read and bounded, every occurrence checked (each kind of clash
named, with an alternative), booked in one transaction or not at all, changed and cancelled
one, following or all; a moved occurrence stays in its series as an exception."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.messaging.models import AppointmentMessage
from appointments.models import Appointment, AppointmentSeries, AppointmentStatus
from appointments.series_plan import MAX_OCCURRENCES, occurrence_starts, series_plan, weekly_rule
from appointments.series_services import series_cancel, series_reschedule
from appointments.services import SlotUnavailable, appointment_book, series_book
from tests.appointments.factories import TUESDAY, WEEK, at, doctor_with_hours, tuesday
from tests.factories import PatientFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician():
    return doctor_with_hours(weekdays=(1, 2), first_name="Ada", last_name="Okafor")


@pytest.fixture
def patient():
    return PatientFactory(first_name="Ines", last_name="Marsh", email="ines@example.org")


def book(patient, clinician, by=None, rule="FREQ=WEEKLY;COUNT=10", **kwargs):
    return series_book(
        patient=patient, doctor=clinician, start=tuesday(0), rule=rule, by=by, **kwargs
    )


# --- The rule ----------------------------------------------------------------------------------


def test_it_reads_every_tuesday_for_ten_weeks_in_local_time_across_summer_time(settings):
    settings.TIME_ZONE = "Europe/London"
    start = timezone.make_aware(datetime.datetime(2030, 3, 19, 10, 0))  # clocks change 31 March

    starts = occurrence_starts(rule="RRULE:FREQ=WEEKLY;COUNT=10", start=start)

    assert len(starts) == 10
    assert {timezone.localtime(s).strftime("%a %H:%M") for s in starts} == {"Tue 10:00"}
    utc = [s.astimezone(datetime.UTC) for s in starts]
    assert utc[2] - utc[1] == datetime.timedelta(days=7, hours=-1)  # the UTC gap shrinks


def test_it_reads_every_two_weeks_until_a_date_including_that_day():
    rule = weekly_rule(weeks=2, until=TUESDAY + 4 * WEEK)
    assert rule == f"FREQ=WEEKLY;INTERVAL=2;UNTIL={TUESDAY + 4 * WEEK:%Y%m%d}T235959"

    starts = occurrence_starts(rule=rule, start=tuesday(0))

    assert starts == [tuesday(0), tuesday(2), tuesday(4)]
    # A bare date as UNTIL means the whole day too.
    assert occurrence_starts(
        rule=f"FREQ=WEEKLY;UNTIL={TUESDAY + WEEK:%Y%m%d}", start=tuesday(0)
    ) == [
        tuesday(0),
        tuesday(1),
    ]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY", "Say when the series ends"),
        ("FREQ=HOURLY;COUNT=3", "daily, weekly or monthly"),
        ("FREQ=WEEKLY;COUNT=abc", "cannot be read"),
        ("nonsense", "daily, weekly or monthly"),
        (f"FREQ=WEEKLY;COUNT={MAX_OCCURRENCES + 1}", f"more than {MAX_OCCURRENCES} appointments"),
        ("FREQ=DAILY;UNTIL=20350101", f"more than {MAX_OCCURRENCES} appointments"),
    ],
)
def test_it_refuses_a_rule_it_cannot_book_with_a_clear_message(rule, words):
    with pytest.raises(ValidationError) as refused:
        occurrence_starts(rule=rule, start=tuesday(0))
    assert words in " ".join(refused.value.messages)


def test_it_books_the_most_occurrences_allowed(patient, clinician):
    booked = book(patient, clinician, rule=f"FREQ=WEEKLY;COUNT={MAX_OCCURRENCES}")
    assert len(booked) == MAX_OCCURRENCES
    assert booked[-1].start == tuesday(MAX_OCCURRENCES - 1)


# --- Checking each occurrence ------------------------------------------------------------------


def test_it_names_each_kind_of_clash_with_its_reason(patient, clinician):
    other = PatientFactory()
    appointment_book(patient=other, doctor=clinician, start=tuesday(1), by=None)  # doctor taken
    elsewhere = doctor_with_hours(weekdays=(1,), specialty=clinician.specialty)
    appointment_book(patient=patient, doctor=elsewhere, start=tuesday(2), by=None)  # patient
    TimeOffFactory(doctor=clinician, start=tuesday(3, 0), end=tuesday(3, 23))  # away
    clinician.working_hours.filter(weekday=1).update(valid_until=TUESDAY + 5 * WEEK)  # hours

    plan = series_plan(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=7"
    )

    problems = {o.index: o.problem for o in plan.problems}
    assert set(problems) == {2, 3, 4, 7}
    assert "already has an appointment from 10:00 to 10:30" in problems[2]
    assert "This patient already has an appointment" in problems[3]
    assert "is away" in problems[4]
    assert "does not work on" in problems[7]
    assert [o.clash for o in plan.problems] == [True, True, False, False]


def test_it_proposes_the_nearest_free_slot_that_day_else_the_next_free_one(patient, clinician):
    other = PatientFactory()
    appointment_book(patient=other, doctor=clinician, start=tuesday(1), by=None)
    TimeOffFactory(doctor=clinician, start=tuesday(2, 0), end=tuesday(2, 23))

    plan = series_plan(
        patient=patient, doctor=clinician, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=4"
    )

    taken, away = plan.problems
    assert taken.alternative.start == tuesday(1, 9, 30)  # as near as 10:30, and earlier
    # Away all Tuesday: the doctor's next free slot, Wednesday 9:00.
    assert away.alternative.start == at(9, day=TUESDAY + 2 * WEEK + datetime.timedelta(days=1))


def test_it_refuses_the_whole_series_naming_every_clash_and_writes_nothing(patient, clinician):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(1), by=None)
    TimeOffFactory(doctor=clinician, start=tuesday(4, 0), end=tuesday(4, 23))

    with pytest.raises(SlotUnavailable) as refused:
        book(patient, clinician)

    message = str(refused.value)
    assert message.startswith("2 appointments of the series cannot be booked, so nothing was")
    assert f"{tuesday(1):%A %d %B} 10:00 (no. 2)" in message
    assert f"{tuesday(4):%A %d %B} 10:00 (no. 5)" in message
    assert AppointmentSeries.objects.count() == 0
    assert Appointment.objects.filter(patient=patient).count() == 0


def test_it_books_with_one_week_skipped_and_one_moved_as_an_exception(
    patient, clinician, front_desk
):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(1), by=None)
    TimeOffFactory(doctor=clinician, start=tuesday(4, 0), end=tuesday(4, 23))

    booked = book(
        patient,
        clinician,
        by=front_desk,
        reason="Physiotherapy",
        skip=[tuesday(4)],
        moves={tuesday(1): tuesday(1, 11)},
    )

    assert [a.series_index for a in booked] == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    moved = booked[1]
    assert (moved.start, moved.series_start) == (tuesday(1, 11), tuesday(1))
    assert all(a.status == AppointmentStatus.SCHEDULED for a in booked)
    assert {a.reason for a in booked} == {"Physiotherapy"}
    series = booked[0].series
    assert (series.rule, series.first_start, series.created_by) == (
        "FREQ=WEEKLY;COUNT=10",
        tuesday(0),
        front_desk,
    )
    assert series.length == datetime.timedelta(minutes=30)
    assert booked[0].status_changes.get().note == "Booked: no. 1 of a series"


def test_it_refuses_a_chosen_time_that_is_not_free_either(patient, clinician):
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(1), by=None)
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(1, 11), by=None)

    with pytest.raises(SlotUnavailable) as refused:
        book(patient, clinician, moves={tuesday(1): tuesday(1, 11)})

    assert f"{tuesday(1):%A %d %B} 11:00 (no. 2)" in str(refused.value)
    assert not Appointment.objects.filter(patient=patient).exists()


def test_the_database_refuses_two_occurrences_of_one_number(patient, clinician):
    from django.db import IntegrityError, transaction

    [first, second] = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=2")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=second.pk).update(series_index=first.series_index)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=second.pk).update(series_start=None)


def test_the_patient_hears_once_with_every_date_of_the_series(patient, clinician):
    from django.core import mail

    from tests.appointments.messaging import send_all

    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=3")

    assert AppointmentMessage.objects.filter(kind="booked").count() == 1
    send_all()
    [email] = mail.outbox
    assert "This is the first of 3 appointments booked for you as a series" in email.body
    for appointment in booked:
        assert f"{timezone.localtime(appointment.start):%A %-d %B %Y}, 10:00" in email.body


# --- Changing and cancelling -------------------------------------------------------------------


def test_it_cancels_one_then_the_following_then_all(patient, clinician, front_desk):
    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=6")

    [one] = series_cancel(appointment=booked[1], scope="one", reason="Ill", by=front_desk)
    assert one.pk == booked[1].pk
    following = series_cancel(
        appointment=booked[3], scope="following", reason="Away", by=front_desk
    )
    assert [a.series_index for a in following] == [4, 5, 6]
    rest = series_cancel(appointment=booked[0], scope="all", reason="Stops", by=front_desk)
    assert [a.series_index for a in rest] == [1, 3]

    statuses = Appointment.objects.filter(series=booked[0].series).values_list("status", flat=True)
    assert set(statuses) == {AppointmentStatus.CANCELLED}
    assert Appointment.objects.get(pk=booked[4].pk).cancel_reason == "Away"


def test_cancelling_needs_a_reason_and_changes_nothing_without(patient, clinician, front_desk):
    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=3")
    with pytest.raises(ValidationError):
        series_cancel(appointment=booked[0], scope="all", reason=" ", by=front_desk)
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_a_rescheduled_occurrence_is_an_exception_of_its_series(patient, clinician, front_desk):
    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=3")

    [moved] = series_reschedule(
        appointment=booked[1], start=tuesday(1, 14), scope="one", by=front_desk
    )

    assert (moved.start, moved.series_id, moved.series_start) == (
        tuesday(1, 14),
        booked[0].series_id,
        tuesday(1),
    )
    assert Appointment.objects.filter(series=booked[0].series).count() == 3


def test_it_moves_this_and_the_following_by_as_much_or_none(patient, clinician, front_desk):
    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=4")

    moved = series_reschedule(
        appointment=booked[1], start=tuesday(1, 11), scope="following", by=front_desk
    )
    assert [a.start for a in moved] == [tuesday(1, 11), tuesday(2, 11), tuesday(3, 11)]
    assert Appointment.objects.get(pk=booked[0].pk).start == tuesday(0)

    # All move by two hours: the fourth, at 11:00 since the move above, would go to 13:00.
    appointment_book(patient=PatientFactory(), doctor=clinician, start=tuesday(3, 13), by=None)
    with pytest.raises(SlotUnavailable) as refused:
        series_reschedule(appointment=booked[0], start=tuesday(0, 12), scope="all", by=front_desk)
    assert f"{tuesday(3):%A %d %B} 11:00 (no. 4) cannot move" in str(refused.value)
    assert "Nothing was moved." in str(refused.value)
    assert Appointment.objects.get(pk=booked[0].pk).start == tuesday(0)  # all or none


def test_each_occurrence_gets_its_own_reminder_and_a_cancelled_one_none(patient, clinician):
    from appointments.messaging.services import reminders_queue

    booked = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=3")
    series_cancel(appointment=booked[1], scope="one", reason="Away", by=None)
    half_a_day = datetime.timedelta(hours=12)

    for week in range(3):
        reminders_queue(now=tuesday(week) - half_a_day)

    reminded = AppointmentMessage.objects.filter(kind="reminder")
    assert sorted(reminded.values_list("appointment__series_index", flat=True)) == [1, 3]


def test_the_database_keeps_each_occurrence_the_series_patients(patient, clinician):
    """For every login (the application's own, psql, the admin): an occurrence cannot pass to
    another patient, nor be booked with another doctor than its series'."""
    from django.db import IntegrityError, transaction

    from appointments.models import AppointmentSeries
    from tests.factories import DoctorFactory, PatientFactory

    [first, second] = book(patient, clinician, rule="FREQ=WEEKLY;COUNT=2")
    someone_else = PatientFactory()
    with pytest.raises(IntegrityError, match="is its patient's"), transaction.atomic():
        Appointment.objects.filter(pk=second.pk).update(patient=someone_else)
    with pytest.raises(IntegrityError, match="is its patient's"), transaction.atomic():
        Appointment.objects.create(
            patient=someone_else,
            doctor=clinician,
            start=tuesday(6),
            end=tuesday(6, 10, 30),
            series=first.series,
            series_index=3,
            series_start=tuesday(6),
        )
    with pytest.raises(IntegrityError, match="its patient does not change"), transaction.atomic():
        AppointmentSeries.objects.filter(pk=first.series_id).update(patient=someone_else)
    with pytest.raises(IntegrityError, match="booked with its doctor"), transaction.atomic():
        Appointment.objects.create(
            patient=patient,
            doctor=DoctorFactory(),
            start=tuesday(5),
            end=tuesday(5, 10, 30),
            series=first.series,
            series_index=9,
            series_start=tuesday(5),
        )
    second.refresh_from_db()
    assert (second.patient, second.series_id) == (patient, first.series_id)
