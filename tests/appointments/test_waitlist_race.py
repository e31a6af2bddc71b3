"""Races on an offer, in real threads each with its own connection: two desks clicking Book
on the same offer, and a desk booking the offered slot for someone else at the same moment.
Exactly one booking holds the slot, and the other desk hears why (never a 500)."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from appointments.models import Appointment
from appointments.services import SlotUnavailable, appointment_book, appointment_cancel
from appointments.waitlist.entries import waitlist_remove
from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitlistOffer
from appointments.waitlist.services import OfferClosed, offer_book
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.concurrency import run_concurrently, together, waiting_on_a_lock
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def offered_ten():
    doctor = doctor_with_hours()
    entry = WaitlistEntry.objects.create(
        patient=PatientFactory(),
        doctor=doctor,
        day_from=MONDAY,
        day_to=MONDAY + datetime.timedelta(days=6),
    )
    appointment = AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))
    appointment_cancel(appointment=appointment, reason="Called", by=None)
    return doctor, entry, entry.offers.get(status=OfferStatus.OPEN)


def test_two_desks_booking_one_offer_book_it_once():
    doctor, entry, offer = offered_ten()

    results, errors = run_concurrently(8, lambda i: offer_book(offer=offer, by=None))

    assert len(results) == 1
    assert len(errors) == 7
    assert all(isinstance(e, OfferClosed) and "already booked" in str(e) for e in errors), errors
    assert Appointment.objects.active().filter(doctor=doctor).count() == 1
    offer.refresh_from_db()
    assert (offer.status, offer.appointment) == (OfferStatus.BOOKED, results[0])


def test_the_offer_and_another_booking_racing_for_the_slot_end_in_one_booking():
    doctor, entry, offer = offered_ten()
    walk_in = PatientFactory()

    def work(i):
        if i == 0:
            return offer_book(offer=offer, by=None)
        return appointment_book(patient=walk_in, doctor=doctor, start=at(10), by=None)

    results, errors = run_concurrently(2, work)

    assert len(results) == 1, errors
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, (OfferClosed, SlotUnavailable)), error
    assert "taken" in str(error)
    held = Appointment.objects.active().get(doctor=doctor, start=at(10))
    offer.refresh_from_db()
    won = held.patient == entry.patient
    assert offer.status == (OfferStatus.BOOKED if won else OfferStatus.TAKEN)


def test_removing_a_waiter_while_a_desk_books_their_offer_waits_its_turn_and_never_deadlocks():
    """Booking an offer locks the offer, then the waiter; removing the waiter locks in the same
    order. While the offer is held, the removal waits without holding the waiter, so the
    booking goes on (in the opposite order both would wait for each other: a deadlock)."""
    doctor, entry, offer = offered_ten()
    held, go_on = threading.Event(), threading.Event()

    def desk_booking():
        with transaction.atomic():
            WaitlistOffer.objects.select_for_update().get(pk=offer.pk)  # offer_book's first step
            held.set()
            assert go_on.wait(60)
            return offer_book(offer=offer, by=None)

    def desk_removing():
        assert held.wait(60)
        return waitlist_remove(entry=entry, by=None)

    def watch():
        deadline = time.monotonic() + 60
        while not waiting_on_a_lock():  # the removal waits for the offer
            assert time.monotonic() < deadline, "the removal never waited for the offer"
            time.sleep(0.01)
        with transaction.atomic():  # … and holds nothing of the waiter meanwhile
            WaitlistEntry.objects.select_for_update(nowait=True).get(pk=entry.pk)
        go_on.set()

    booked, removed, watched = together([desk_booking, desk_removing, watch])

    assert watched is None, watched
    assert isinstance(booked, Appointment), booked
    assert isinstance(removed, ValidationError) and "no longer waiting (booked)" in str(removed)
    entry.refresh_from_db()
    assert entry.status == "booked" and entry.appointment == booked
