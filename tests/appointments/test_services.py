"""Booking rules and free slots of the appointment services."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from appointments import services as appointment_services
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from appointments.selectors import available_slots
from appointments.services import SlotUnavailable, appointment_book, appointment_reschedule
from core.models import AuditEvent
from hms.dbroles import as_owner
from patients.services import patient_deactivate
from tests.concurrency import run_concurrently
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    TimeOffFactory,
    WorkingHoursFactory,
)

MONDAY = datetime.date(2030, 3, 4)
TUESDAY = MONDAY + datetime.timedelta(days=1)


def at(hour: int, minute: int = 0, day: datetime.date = MONDAY) -> datetime.datetime:
    """An aware datetime in the hospital's local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def dr(db):
    doctor = DoctorFactory(first_name="Ada", last_name="Lovelace")
    WorkingHoursFactory(
        doctor=doctor,
        weekday=0,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(17, 0),
        slot_minutes=30,
        valid_from=datetime.date(2020, 1, 1),
    )
    return doctor


@pytest.fixture
def patient(db):
    return PatientFactory()


def book(patient, dr, start, end=None, user=None):
    return appointment_book(patient=patient, doctor=dr, start=start, end=end, by=user)


# --- appointment_book -------------------------------------------------------------------------


def test_it_books_one_slot_and_records_the_booking(dr, patient, front_desk):
    appointment = book(patient, dr, at(10), user=front_desk)

    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (at(10), at(10, 30))
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.booked_by == front_desk
    change = AppointmentStatusChange.objects.get(appointment=appointment)
    assert (change.from_status, change.to_status) == ("", AppointmentStatus.SCHEDULED)
    assert change.changed_by == front_desk
    event = AuditEvent.objects.get(object_type="appointments.appointment")
    assert event.action == AuditEvent.Action.CREATE
    assert event.patient_id == patient.pk
    assert event.actor_username == "frontdesk"
    assert event.changes["start"]["after"] == str(at(10))


def test_it_takes_the_slot_length_from_the_working_hours_row(dr, patient):
    WorkingHoursFactory(
        doctor=dr,
        weekday=1,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 0),
        slot_minutes=20,
    )
    appointment = book(patient, dr, at(8, 40, day=TUESDAY))
    assert appointment.end == at(9, 0, day=TUESDAY)


def test_it_keeps_an_explicit_end(dr, patient):
    appointment = book(patient, dr, at(10), end=at(11))
    assert appointment.end == at(11)


@pytest.mark.parametrize(
    "start, end",
    [
        (at(8, 30), None),  # before the hours start
        (at(17, 0), None),  # when they end
        (at(10, 0, day=TUESDAY), None),  # a day without hours
        (at(16, 45), at(17, 15)),  # running past the end
    ],
)
def test_it_refuses_a_time_outside_working_hours(dr, patient, start, end):
    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, start, end)

    assert "pick" in str(caught.value)
    assert str(caught.value).startswith("Dr Ada Lovelace")
    assert not Appointment.objects.exists()


def test_it_refuses_hours_that_are_not_valid_on_that_date(patient):
    doctor = DoctorFactory()
    WorkingHoursFactory(doctor=doctor, valid_from=MONDAY + datetime.timedelta(days=7))
    WorkingHoursFactory(
        doctor=doctor,
        start_time=datetime.time(13, 0),
        end_time=datetime.time(14, 0),
        valid_from=datetime.date(2020, 1, 1),
        valid_until=MONDAY - datetime.timedelta(days=1),
    )

    for start in (at(10), at(13)):
        with pytest.raises(SlotUnavailable, match="does not work on Monday"):
            book(patient, doctor, start)
    assert book(patient, doctor, at(10, day=MONDAY + datetime.timedelta(days=7)))


def test_it_refuses_a_slot_in_time_off(dr, patient):
    TimeOffFactory(doctor=dr, start=at(12), end=at(14), reason="Conference")

    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, at(13, 30))

    assert str(caught.value) == "Dr Ada Lovelace is away at that time — pick another time."
    assert book(patient, dr, at(14))  # right after the time off is fine


def test_it_refuses_a_time_in_the_past(dr, patient):
    last_monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    past = at(10, day=last_monday - datetime.timedelta(days=7))

    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, past)

    assert str(caught.value) == "That time has already passed — pick a time in the future."


def test_it_refuses_a_slot_overlapping_the_doctors_appointment(dr, patient):
    book(PatientFactory(), dr, at(10))

    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, at(10, 15))

    assert str(caught.value) == (
        "Dr Ada Lovelace already has an appointment from 10:00 to 10:30 — pick another time."
    )


def test_it_refuses_a_slot_overlapping_the_patients_appointment(dr, patient):
    other = DoctorFactory(first_name="Grace", last_name="Hopper")
    WorkingHoursFactory(doctor=other)
    book(patient, other, at(10))

    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, at(10))

    assert str(caught.value) == (
        "This patient already has an appointment from 10:00 to 10:30 with Dr Grace Hopper "
        "— pick another time."
    )


def test_it_allows_back_to_back_appointments(dr, patient):
    book(patient, dr, at(10))
    book(patient, dr, at(10, 30))
    book(PatientFactory(), dr, at(9, 30))

    assert Appointment.objects.filter(doctor=dr).count() == 3


@pytest.mark.parametrize("freed_by", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_it_frees_the_slot_of_a_cancelled_or_missed_appointment(dr, patient, freed_by):
    first = book(PatientFactory(), dr, at(10))
    Appointment.objects.filter(pk=first.pk).update(status=freed_by)

    assert book(patient, dr, at(10)).start == at(10)


def test_it_refuses_an_inactive_doctor(dr, patient):
    dr.is_active = False
    dr.save()

    with pytest.raises(SlotUnavailable, match="no longer taking appointments"):
        book(patient, dr, at(10))


def test_it_refuses_to_book_a_deactivated_patient(dr, patient, admin_user):
    patient = patient_deactivate(patient=patient, by=admin_user)

    with pytest.raises(ValidationError, match="deactivated"):
        book(patient, dr, at(10))


@pytest.mark.parametrize(
    "clash_with, message",
    [
        ("doctor", "That slot was just taken — pick another."),
        ("patient", "This patient was just booked at an overlapping time — pick another slot."),
    ],
)
def test_it_turns_a_race_caught_by_the_database_into_slot_unavailable(
    dr, patient, monkeypatch, clash_with, message
):
    # The racing booking commits after our checks ran: skip the checks and the model's own
    # constraint validation so that only the exclusion constraint stands in the way.
    rival = AppointmentFactory(
        doctor=dr if clash_with == "doctor" else DoctorFactory(),
        patient=patient if clash_with == "patient" else PatientFactory(),
        start=at(10),
        end=at(10, 30),
    )
    monkeypatch.setattr(
        appointment_services, "_resolve_and_check_slot", lambda **kw: kw["end"] or at(10, 30)
    )
    monkeypatch.setattr(Appointment, "validate_constraints", lambda self, exclude=None: None)

    with pytest.raises(SlotUnavailable) as caught:
        book(patient, dr, at(10))

    assert str(caught.value) == message
    # The savepoint kept the transaction usable.
    assert list(Appointment.objects.values_list("pk", flat=True)) == [rival.pk]


def test_it_turns_a_race_caught_by_model_validation_into_slot_unavailable(dr, patient, monkeypatch):
    AppointmentFactory(doctor=dr, start=at(10), end=at(10, 30))
    monkeypatch.setattr(
        appointment_services, "_resolve_and_check_slot", lambda **kw: kw["end"] or at(10, 30)
    )

    with pytest.raises(SlotUnavailable, match="That slot was just taken"):
        book(patient, dr, at(10))


@pytest.fixture
def deadlocking_inserts(transactional_db):
    """Every booking's INSERT fails as PostgreSQL fails one of two deadlocked desks: a trigger
    raises that very error. Made by the owner role (the application's role may not add a
    trigger), committed, and removed afterwards."""
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION test_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END $$;
            CREATE TRIGGER test_deadlock BEFORE INSERT ON appointments_appointment
                FOR EACH ROW EXECUTE FUNCTION test_deadlock();
            """
        )
    yield
    with as_owner(connection), connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER test_deadlock ON appointments_appointment; DROP FUNCTION test_deadlock()"
        )


def test_it_turns_a_deadlock_between_two_desks_into_slot_unavailable(
    deadlocking_inserts, dr, patient
):
    # Two desks inserting into one slot can deadlock in the exclusion constraints' index
    # checks; PostgreSQL cancels one.
    with pytest.raises(SlotUnavailable, match="That slot was just taken"):
        book(patient, dr, at(10))

    assert not Appointment.objects.exists()  # the transaction is still usable, nothing written


def test_it_reads_naive_times_as_hospital_local_time(dr, patient):
    naive = datetime.datetime.combine(MONDAY, datetime.time(11, 0))
    assert book(patient, dr, naive).start == at(11)


# --- appointment_reschedule -------------------------------------------------------------------


def test_it_reschedules_keeping_the_length_and_records_the_move(dr, patient, front_desk):
    appointment = book(patient, dr, at(10), end=at(11))

    moved = appointment_reschedule(appointment=appointment, start=at(10, 30), by=front_desk)

    moved.refresh_from_db()
    assert (moved.start, moved.end) == (at(10, 30), at(11, 30))
    change = AppointmentStatusChange.objects.filter(appointment=appointment).last()
    assert (change.old_start, change.old_end) == (at(10), at(11))
    assert (change.new_start, change.new_end) == (at(10, 30), at(11, 30))
    assert change.changed_by == front_desk
    event = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).get()
    assert event.changes["start"] == {"before": str(at(10)), "after": str(at(10, 30))}


def test_it_refuses_to_reschedule_onto_another_appointment(dr, patient):
    book(PatientFactory(), dr, at(11))
    appointment = book(patient, dr, at(10))

    with pytest.raises(SlotUnavailable, match="already has an appointment from 11:00"):
        appointment_reschedule(appointment=appointment, start=at(11), by=None)

    appointment.refresh_from_db()
    assert appointment.start == at(10)


def test_it_refuses_to_reschedule_a_cancelled_appointment(dr, patient):
    appointment = book(patient, dr, at(10))
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    with pytest.raises(ValidationError, match="Only a scheduled appointment"):
        appointment_reschedule(appointment=appointment, start=at(11), by=None)


# --- available_slots --------------------------------------------------------------------------


@pytest.fixture
def short_day(db):
    doctor = DoctorFactory()
    WorkingHoursFactory(
        doctor=doctor,
        weekday=0,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(11, 0),
        slot_minutes=30,
        valid_from=datetime.date(2020, 1, 1),
    )
    return doctor


def starts(slots):
    return [timezone.localtime(start).strftime("%H:%M") for start, _ in slots]


def test_it_lists_the_slots_of_a_simple_day(short_day):
    slots = available_slots(doctor=short_day, day_from=MONDAY, day_to=MONDAY)

    assert slots == [
        (at(9), at(9, 30)),
        (at(9, 30), at(10)),
        (at(10), at(10, 30)),
        (at(10, 30), at(11)),
    ]


def test_it_leaves_out_booked_slots_and_time_off(short_day, patient):
    book(patient, short_day, at(9, 30))
    TimeOffFactory(doctor=short_day, start=at(10, 15), end=at(10, 45))
    cancelled = AppointmentFactory(doctor=short_day, start=at(9), end=at(9, 30))
    Appointment.objects.filter(pk=cancelled.pk).update(status=AppointmentStatus.CANCELLED)

    slots = available_slots(doctor=short_day, day_from=MONDAY, day_to=MONDAY)

    assert starts(slots) == ["09:00"]


def test_it_leaves_out_past_slots(short_day):
    slots = available_slots(doctor=short_day, day_from=MONDAY, day_to=MONDAY, now=at(9, 10))
    assert starts(slots) == ["09:30", "10:00", "10:30"]


def test_it_lists_several_weeks_in_three_queries(short_day, django_assert_max_num_queries):
    WorkingHoursFactory(
        doctor=short_day,
        weekday=2,
        start_time=datetime.time(14, 0),
        end_time=datetime.time(15, 0),
        slot_minutes=60,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=MONDAY + datetime.timedelta(days=8),
    )
    AppointmentFactory(doctor=short_day, start=at(9), end=at(9, 30))

    with django_assert_max_num_queries(3):
        slots = available_slots(
            doctor=short_day, day_from=MONDAY, day_to=MONDAY + datetime.timedelta(days=20)
        )

    days = sorted({timezone.localtime(start).date() for start, _ in slots})
    wednesday = MONDAY + datetime.timedelta(days=2)
    next_mondays = [MONDAY + datetime.timedelta(days=d) for d in (7, 14)]
    assert days == [MONDAY, wednesday, *next_mondays]
    assert len(slots) == 3 + 1 + 4 + 4  # the booked 09:00 is gone; Wednesday ends on day 8


def test_it_uses_the_hospital_time_zone(short_day, settings):
    settings.TIME_ZONE = "Africa/Nairobi"  # UTC+3 all year

    slots = available_slots(doctor=short_day, day_from=MONDAY, day_to=MONDAY)

    first_start = slots[0][0].astimezone(zoneinfo.ZoneInfo("UTC"))
    assert first_start == datetime.datetime(2030, 3, 4, 6, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))


def test_it_returns_a_bookable_slot(short_day, patient):
    start, end = available_slots(doctor=short_day, day_from=MONDAY, day_to=MONDAY)[1]
    appointment = book(patient, short_day, start)
    assert (appointment.start, appointment.end) == (start, end)


# --- real concurrency: separate connections, committed transactions ----------------------------
# The flush after a transactional test empties the tables; core's post_migrate handler brings
# the role groups back for the tests that run after these.


@pytest.mark.django_db(transaction=True)
def test_it_books_a_slot_wanted_by_two_desks_only_once():
    doctor = DoctorFactory(first_name="Ada", last_name="Lovelace")
    WorkingHoursFactory(doctor=doctor)
    patients = PatientFactory.create_batch(3)

    results, errors = run_concurrently(
        3,
        lambda i: appointment_book(patient=patients[i], doctor=doctor, start=at(10), by=None),
    )

    assert len(results) == 1
    assert len(errors) == 2
    assert all(isinstance(error, SlotUnavailable) for error in errors), errors
    assert Appointment.objects.filter(doctor=doctor).count() == 1
