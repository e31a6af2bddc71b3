"""Races on an offer, in real threads each with its own connection: two desks clicking Book
on the same offer, and a desk booking the offered slot for someone else at the same moment.
Exactly one booking holds the slot, and the other desk hears why (never a 500)."""

import datetime

import pytest

from appointments.models import Appointment
from appointments.services import SlotUnavailable, appointment_book, appointment_cancel
from appointments.waitlist.models import OfferStatus, WaitlistEntry
from appointments.waitlist.services import OfferClosed, offer_book
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.concurrency import run_concurrently
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
