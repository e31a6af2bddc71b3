"""The availability engine: free slots, lengths, time off, first free slot, stranded visits."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments.models import AppointmentStatus
from appointments.selectors import (
    appointments_outside_hours,
    available_slots,
    first_free_slot,
    free_slots_by_doctor,
    slot_picker,
)
from appointments.services import SlotUnavailable, appointment_book
from doctors.services import working_hours_update
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory, TimeOffFactory

pytestmark = pytest.mark.django_db
PAST = at(0, 0, day=datetime.date(2029, 1, 1))  # "now" for the engine: before every slot here


def starts(slots):
    return [f"{s:%H:%M}" for s, _ in slots]


def slots_of(doctor, *, day=MONDAY, length=None, now=PAST):
    return available_slots(doctor=doctor, day_from=day, day_to=day, length=length, now=now)


def test_it_starts_at_the_first_minute_and_ends_within_the_last():
    doctor = doctor_with_hours(start=datetime.time(9, 0), end=datetime.time(10, 45))

    # 10:30 would end at 11:00, after the hours: not offered.
    assert starts(slots_of(doctor)) == ["09:00", "09:30", "10:00"]


def test_it_offers_nothing_on_a_day_without_hours_or_outside_validity():
    doctor = doctor_with_hours()
    hours = doctor.working_hours.get()
    hours.valid_until = MONDAY - datetime.timedelta(days=1)
    hours.save()

    assert slots_of(doctor) == []
    assert slots_of(doctor, day=TUESDAY) == []  # Tuesday: no hours at all


def test_it_leaves_out_time_off_and_keeps_the_slot_it_ends_at():
    doctor = doctor_with_hours(end=datetime.time(12, 0))
    TimeOffFactory(doctor=doctor, start=at(9, 30), end=at(10, 30))

    assert starts(slots_of(doctor)) == ["09:00", "10:30", "11:00", "11:30"]


def test_it_keeps_back_to_back_slots_around_an_appointment():
    doctor = doctor_with_hours(end=datetime.time(11, 0))
    AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))

    assert starts(slots_of(doctor)) == ["09:00", "09:30", "10:30"]


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_it_frees_the_slot_of_a_cancelled_or_missed_appointment(status):
    doctor = doctor_with_hours(end=datetime.time(10, 0))
    AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30), status=status)

    assert starts(slots_of(doctor)) == ["09:00", "09:30"]


@pytest.mark.parametrize(
    "status",
    [AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED],
)
def test_it_keeps_the_slot_of_an_active_appointment_busy(status):
    doctor = doctor_with_hours(end=datetime.time(10, 0))
    AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30), status=status)

    assert starts(slots_of(doctor)) == ["09:30"]


def test_it_needs_two_free_slots_for_a_visit_twice_as_long():
    doctor = doctor_with_hours(end=datetime.time(12, 0))
    AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))

    slots = slots_of(doctor, length=datetime.timedelta(minutes=60))

    # 09:30 and 10:00 would run into the 10:00 visit; 11:00 is the last that ends by 12:00.
    assert starts(slots) == ["09:00", "10:30", "11:00"]
    assert all(end - start == datetime.timedelta(minutes=60) for start, end in slots)


def test_it_refuses_to_book_a_long_visit_over_a_busy_second_slot():
    doctor = doctor_with_hours()
    AppointmentFactory(doctor=doctor, start=at(9, 30), end=at(10))

    with pytest.raises(SlotUnavailable, match="already has an appointment"):
        appointment_book(patient=PatientFactory(), doctor=doctor, start=at(9), end=at(10), by=None)


def test_it_leaves_out_slots_already_started():
    doctor = doctor_with_hours(end=datetime.time(11, 0))

    assert starts(slots_of(doctor, now=at(9, 45))) == ["10:00", "10:30"]


def test_it_reads_many_doctors_and_days_in_three_queries(django_assert_num_queries):
    specialty = SpecialtyFactory(name="Neurology")
    doctors = [doctor_with_hours(weekdays=range(7), specialty=specialty) for _ in range(6)]
    for doctor in doctors:
        AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30))
        TimeOffFactory(doctor=doctor, start=at(12, day=TUESDAY), end=at(13, day=TUESDAY))

    with django_assert_num_queries(3):
        by_doctor = free_slots_by_doctor(
            doctors=doctors, day_from=MONDAY, day_to=MONDAY + datetime.timedelta(days=13), now=PAST
        )

    assert all(len(slots) == 14 * 16 - 1 - 2 for slots in by_doctor.values())


def test_it_finds_the_first_free_slot_across_a_specialty():
    specialty = SpecialtyFactory(name="Dermatology")
    busy = doctor_with_hours(specialty=specialty, last_name="Busy")
    later = doctor_with_hours(specialty=specialty, start=datetime.time(11, 0), last_name="Later")
    TimeOffFactory(doctor=busy, start=at(8), end=at(12))

    found = first_free_slot(doctors=[busy, later], day_from=MONDAY, now=PAST)

    assert (found.doctor, found.start) == (later, at(11))


def test_it_looks_weeks_ahead_for_the_first_free_slot():
    doctor = doctor_with_hours()
    TimeOffFactory(doctor=doctor, start=at(0), end=at(0, day=MONDAY + datetime.timedelta(days=15)))

    found = first_free_slot(doctors=[doctor], day_from=MONDAY, now=PAST)

    assert found.start == at(9, day=MONDAY + datetime.timedelta(days=21))


def test_it_gives_up_on_a_first_free_slot_after_the_horizon():
    doctor = doctor_with_hours()
    TimeOffFactory(doctor=doctor, start=at(0), end=at(0, day=MONDAY + datetime.timedelta(days=90)))

    assert first_free_slot(doctors=[doctor], day_from=MONDAY, now=PAST) is None


def test_it_preselects_the_first_free_slot_in_the_picker():
    doctor = doctor_with_hours(weekdays=(1,))  # Tuesdays only

    picker = slot_picker(doctors=[doctor], day_from=MONDAY, first=True)

    assert picker.first.start == at(9, day=TUESDAY)
    assert picker.selected == picker.first.value
    assert picker.day_from == TUESDAY


def test_it_lists_appointments_left_outside_changed_hours(front_desk):
    doctor = doctor_with_hours(weekdays=(0, 1))
    late = AppointmentFactory(doctor=doctor, start=at(16), end=at(16, 30))
    early = AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30))
    away = AppointmentFactory(doctor=doctor, start=at(10, day=TUESDAY), end=at(10, 30, day=TUESDAY))
    AppointmentFactory(
        doctor=doctor, start=at(16, 30), end=at(17), status=AppointmentStatus.CANCELLED
    )
    monday = doctor.working_hours.get(weekday=0)

    working_hours_update(
        working_hours=monday, data={"end_time": datetime.time(12, 0)}, by=front_desk
    )
    TimeOffFactory(doctor=doctor, start=at(10, day=TUESDAY), end=at(11, day=TUESDAY))

    stranded = appointments_outside_hours(doctor=doctor, now=PAST)
    assert stranded == [late, away]
    assert early not in stranded


# --- property: the engine agrees with a brute-force reading of the rules -------------------

busy_cells = st.lists(st.tuples(st.integers(0, 15), st.integers(1, 3)), max_size=6)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cells=busy_cells, length_cells=st.integers(1, 3), off=st.none() | st.integers(0, 15))
def test_it_offers_exactly_the_grid_starts_that_fit(db, cells, length_cells, off):
    """9:00–17:00 in 30-minute cells; random appointments (of 1–3 cells) and an optional
    hour off. A start is offered iff the whole visit fits in the hours and touches nothing
    busy; and every offered start can then really be booked."""
    with transaction.atomic():
        doctor = doctor_with_hours()
        busy = []
        for first, span in cells:
            start, end = at(9) + datetime.timedelta(minutes=30 * first), None
            end = min(start + datetime.timedelta(minutes=30 * span), at(17))
            if any(s < end and start < e for s, e in busy):
                continue  # the database would refuse the overlap; so would a person
            AppointmentFactory(doctor=doctor, start=start, end=end)
            busy.append((start, end))
        if off is not None:
            off_start = at(9) + datetime.timedelta(minutes=30 * off)
            TimeOffFactory(
                doctor=doctor, start=off_start, end=off_start + datetime.timedelta(hours=1)
            )
            busy.append((off_start, off_start + datetime.timedelta(hours=1)))
        length = datetime.timedelta(minutes=30 * length_cells)

        offered = slots_of(doctor, length=length)

        expected = []
        for cell in range(16):
            start = at(9) + datetime.timedelta(minutes=30 * cell)
            end = start + length
            if end <= at(17) and not any(s < end and start < e for s, e in busy):
                expected.append((start, end))
        assert offered == expected
        if offered:
            start, end = offered[len(offered) // 2]
            appointment_book(patient=PatientFactory(), doctor=doctor, start=start, end=end, by=None)
        transaction.set_rollback(True)
