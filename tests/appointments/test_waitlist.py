"""The waitlist's rules: who is offered a freed slot (doctor or specialty, dates, weekdays,
times, priority, then waiting since), each event that frees one, and the database's rules."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments.models import AppointmentStatus
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_no_show,
    appointment_reschedule,
    waitlist_add,
)
from appointments.waitlist.models import (
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitPriority,
)
from appointments.waitlist.offers import hours_opened, slots_freed
from doctors.services import (
    time_off_create,
    time_off_delete,
    time_off_update,
    working_hours_create,
)
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

WEEK_LATER = MONDAY + datetime.timedelta(days=6)


def wait(doctor=None, specialty=None, **fields):
    fields.setdefault("patient", PatientFactory())
    fields.setdefault("day_from", MONDAY)
    fields.setdefault("day_to", WEEK_LATER)
    return waitlist_add(doctor=doctor, specialty=specialty, by=None, **fields)


def booked(doctor, hour, minute=0, day=MONDAY, minutes=30):
    start = at(hour, minute, day)
    return AppointmentFactory(
        doctor=doctor, start=start, end=start + datetime.timedelta(minutes=minutes)
    )


def cancel(appointment):
    appointment_cancel(appointment=appointment, reason="Patient called", by=None)


def open_offers():
    return list(WaitlistOffer.objects.filter(status=OfferStatus.OPEN).order_by("start", "id"))


def offered(entry):
    return [(o.start, o.end) for o in entry.offers.filter(status=OfferStatus.OPEN)]


@pytest.fixture
def cardiology():
    return SpecialtyFactory(name="Cardiology")


@pytest.fixture
def dr(cardiology):
    return doctor_with_hours(specialty=cardiology, weekdays=(0, 1))


# --- Matching ----------------------------------------------------------------------------


def test_it_offers_a_cancelled_slot_to_the_patient_waiting_for_that_doctor(dr):
    waiter = wait(doctor=dr)
    appointment = booked(dr, 10)

    cancel(appointment)

    assert offered(waiter) == [(at(10), at(10, 30))]
    offer = waiter.offers.get()
    minutes = (offer.expires_at - offer.created_at).total_seconds() / 60
    assert 29 < minutes <= 30  # HMS_WAITLIST_OFFER_MINUTES


def test_it_offers_a_slot_to_a_waiter_of_the_doctors_specialty_not_of_another(dr):
    other = wait(specialty=SpecialtyFactory(name="Dermatology"))
    waiter = wait(specialty=dr.specialty)

    cancel(booked(dr, 10))

    assert offered(waiter) == [(at(10), at(10, 30))]
    assert offered(other) == []


def test_it_does_not_offer_another_doctors_slot_to_a_waiter_of_one_doctor(dr, cardiology):
    colleague = doctor_with_hours(specialty=cardiology)
    waiter = wait(doctor=colleague)

    cancel(booked(dr, 10))

    assert offered(waiter) == []
    assert open_offers() == []


def test_it_keeps_to_the_waiters_dates(dr):
    too_late = wait(doctor=dr, day_from=TUESDAY, day_to=WEEK_LATER)
    in_range = wait(doctor=dr, day_from=MONDAY, day_to=MONDAY)

    cancel(booked(dr, 10))
    cancel(booked(dr, 11, day=TUESDAY))

    assert offered(in_range) == [(at(10), at(10, 30))]
    assert offered(too_late) == [(at(11, day=TUESDAY), at(11, 30, day=TUESDAY))]


def test_it_keeps_to_the_waiters_weekdays(dr):
    tuesdays = wait(doctor=dr, weekdays=0b10)

    cancel(booked(dr, 10))
    assert offered(tuesdays) == []

    cancel(booked(dr, 10, day=TUESDAY))
    assert offered(tuesdays) == [(at(10, day=TUESDAY), at(10, 30, day=TUESDAY))]


def test_it_keeps_to_the_waiters_times_of_day(dr):
    mornings = wait(doctor=dr, latest=datetime.time(12, 0))
    afternoons = wait(doctor=dr, earliest=datetime.time(14, 0))

    cancel(booked(dr, 11, 30))  # ends 12:00: a morning
    cancel(booked(dr, 13, 30))  # neither's
    cancel(booked(dr, 14))

    assert offered(mornings) == [(at(11, 30), at(12))]
    assert offered(afternoons) == [(at(14), at(14, 30))]
    assert len(open_offers()) == 2


def test_it_offers_first_by_priority_then_by_the_longest_wait(dr):
    first_normal = wait(doctor=dr)
    second_normal = wait(specialty=dr.specialty)
    urgent = wait(specialty=dr.specialty, priority=WaitPriority.URGENT)  # came last
    routine = wait(doctor=dr, priority=WaitPriority.ROUTINE)

    for hour in (9, 10, 11, 12, 13):
        cancel(booked(dr, hour))

    order = [offer.entry_id for offer in open_offers()]
    assert order == [urgent.pk, first_normal.pk, second_normal.pk, routine.pk]
    assert not WaitlistOffer.objects.filter(start=at(13)).exists()  # nobody left


def test_it_passes_over_a_waiter_booked_elsewhere_at_that_time(dr, cardiology):
    busy = wait(doctor=dr)
    free = wait(doctor=dr)
    colleague = doctor_with_hours(specialty=cardiology)
    AppointmentFactory(patient=busy.patient, doctor=colleague, start=at(10), end=at(10, 30))

    cancel(booked(dr, 10))

    assert offered(busy) == []
    assert offered(free) == [(at(10), at(10, 30))]


def test_it_offers_each_grid_slot_of_a_long_appointment_to_its_own_waiter(dr):
    first, second, third = wait(doctor=dr), wait(doctor=dr), wait(doctor=dr)

    cancel(booked(dr, 10, minutes=60))

    assert offered(first) == [(at(10), at(10, 30))]
    assert offered(second) == [(at(10, 30), at(11))]
    assert offered(third) == []  # a waiter holds one open offer; two slots, two waiters


# --- Each event that frees a slot -------------------------------------------------------------


def test_a_no_show_offers_the_rest_of_its_time_only(dr):
    waiter = wait(doctor=dr)
    appointment = booked(dr, 10, minutes=60)
    # Marked at 10:05 (the check of the move and the engine both at that moment).
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.save()
    slots_freed(doctor=dr, spans=[(appointment.start, appointment.end)], now=at(10, 5))

    assert offered(waiter) == [(at(10, 30), at(11))]


def test_marking_a_no_show_offers_the_slot(dr):
    waiter = wait(doctor=dr)
    appointment = booked(dr, 10)

    appointment_no_show(appointment=appointment, by=None, now=at(10, 1))

    assert offered(waiter) == [(at(10), at(10, 30))]


def test_a_reschedule_offers_the_time_it_left(dr):
    waiter = wait(doctor=dr)
    appointment = booked(dr, 10)

    appointment_reschedule(appointment=appointment, start=at(15), by=None)

    assert offered(waiter) == [(at(10), at(10, 30))]


def test_new_working_hours_are_offered(cardiology):
    doctor = doctor_with_hours(specialty=cardiology, weekdays=(0,))
    wednesday = MONDAY + datetime.timedelta(days=2)
    waiter = wait(doctor=doctor, weekdays=0b100, earliest=datetime.time(18))
    hours = working_hours_create(
        doctor=doctor,
        weekday=2,
        start_time=datetime.time(18),
        end_time=datetime.time(19),
        valid_from=wednesday,
        by=None,
    )

    hours_opened(hours=hours, now=at(8))

    assert offered(waiter) == [(at(18, day=wednesday), at(18, 30, day=wednesday))]


def _next_week_day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7)


def test_hours_added_by_any_path_are_offered_without_a_page_asking(cardiology):
    """The doctors service announces new hours (doctors.signals): the schedule pages, the admin
    and commands all call it, so the waitlist hears of hours however they were added."""
    day = _next_week_day()
    doctor = doctor_with_hours(specialty=cardiology, weekdays=((day.weekday() + 1) % 7,))
    waiter = wait(doctor=doctor, day_from=day, day_to=day)

    working_hours_create(
        doctor=doctor,
        weekday=day.weekday(),
        start_time=datetime.time(18),
        end_time=datetime.time(18, 30),
        valid_from=timezone.localdate(),
        by=None,
    )

    assert offered(waiter) == [(at(18, day=day), at(18, 30, day=day))]


@pytest.mark.parametrize("how", ["deleted", "shortened"])
def test_time_off_taken_back_is_offered(cardiology, how):
    day = _next_week_day()
    doctor = doctor_with_hours(specialty=cardiology, weekdays=(day.weekday(),))
    away = time_off_create(doctor=doctor, start=at(9, day=day), end=at(17, day=day), by=None)
    waiter = wait(doctor=doctor, day_from=day, day_to=day, earliest=datetime.time(9))
    assert offered(waiter) == []

    if how == "deleted":
        time_off_delete(time_off=away, by=None)
    else:
        time_off_update(time_off=away, data={"start": at(9, 30, day=day)}, by=None)

    assert offered(waiter) == [(at(9, day=day), at(9, 30, day=day))]


def test_moves_that_free_nothing_offer_nothing(dr):
    wait(doctor=dr)
    appointment = booked(dr, 10)
    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    appointment.start = max(now - datetime.timedelta(minutes=1), midnight)  # today: check-in
    appointment.end = appointment.start + datetime.timedelta(minutes=30)
    appointment.save()

    appointment_check_in(appointment=appointment, by=None)
    appointment_book(patient=PatientFactory(), doctor=dr, start=at(11), by=None)

    assert open_offers() == []


def test_nothing_is_offered_when_nobody_waits(dr):
    cancel(booked(dr, 10))

    assert open_offers() == []


# --- The database's rules ---------------------------------------------------------------------


def _offer(entry, doctor, start, **fields):
    return WaitlistOffer(
        entry=entry,
        doctor=doctor,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        expires_at=timezone.now() + datetime.timedelta(minutes=30),
        **fields,
    )


def test_the_database_keeps_one_open_offer_per_slot(dr):
    first, second = wait(doctor=dr), wait(doctor=dr)
    _offer(first, dr, at(10)).save()

    with pytest.raises(IntegrityError, match="one_open_per_slot"), transaction.atomic():
        _offer(second, dr, at(10)).save()
    _offer(second, dr, at(10), status=OfferStatus.PASSED).save()  # closed ones may repeat


def test_the_database_keeps_an_offers_outcome(dr):
    offer = _offer(wait(doctor=dr), dr, at(10), status=OfferStatus.EXPIRED)
    offer.save()
    offers = WaitlistOffer.objects.filter(pk=offer.pk)

    for status in (OfferStatus.OPEN, OfferStatus.BOOKED):
        with pytest.raises(IntegrityError, match="does not change"), transaction.atomic():
            offers.update(status=status)
    assert offers.get().status == OfferStatus.EXPIRED
    offers.update(expires_at=timezone.now())  # what is not its outcome may change


def test_the_database_keeps_one_open_offer_per_waiter(dr):
    waiter = wait(doctor=dr)
    _offer(waiter, dr, at(10)).save()

    with pytest.raises(IntegrityError, match="one_open_per_waiter"), transaction.atomic():
        _offer(waiter, dr, at(11)).save()


def test_the_database_wants_a_doctor_or_a_specialty_not_both(dr):
    with pytest.raises(IntegrityError, match="doctor_or_specialty"), transaction.atomic():
        WaitlistEntry.objects.create(
            patient=PatientFactory(),
            doctor=dr,
            specialty=dr.specialty,
            day_from=MONDAY,
            day_to=MONDAY,
        )


def test_a_booking_of_any_writer_closes_the_offer_of_that_time(dr):
    waiter = wait(doctor=dr)
    cancel(booked(dr, 10))
    offer = waiter.offers.get()

    # Straight into the table, as no service would: the trigger still sees it.
    AppointmentFactory(doctor=dr, start=at(9, 45), end=at(10, 15))

    offer.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN
    assert offer.closed_at is not None
