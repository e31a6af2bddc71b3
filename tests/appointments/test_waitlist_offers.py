"""What the desk does with an offer: book it in one click, pass it to the next waiter; and
what time does to it (expiry, moved on to the next waiter); a waiter taken off the list."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Appointment, AppointmentStatus
from appointments.selectors import waitlist_offers
from appointments.services import (
    appointment_book,
    appointment_cancel,
    waitlist_add,
    waitlist_remove,
    waitlist_update,
)
from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitStatus
from appointments.waitlist.offers import first_waiter
from appointments.waitlist.selectors import waitlist_page
from appointments.waitlist.services import (
    OfferClosed,
    offer_book,
    offer_pass,
    offers_expire_due,
)
from core.bulk import refresh_statistics
from core.models import AuditEvent
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(minutes=31)


@pytest.fixture
def dr(db):
    return doctor_with_hours()


def wait(doctor, **fields):
    return waitlist_add(
        patient=fields.pop("patient", None) or PatientFactory(),
        day_from=MONDAY,
        day_to=MONDAY + datetime.timedelta(days=6),
        doctor=doctor,
        by=None,
        **fields,
    )


def free_ten(doctor):
    """Cancel a 10:00 appointment of `doctor`: its slot goes to the waitlist."""
    appointment = AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))
    appointment_cancel(appointment=appointment, reason="Patient called", by=None)


def open_offer(entry):
    return entry.offers.filter(status=OfferStatus.OPEN).first()


def test_it_books_the_offer_in_one_call_and_the_waiter_leaves_the_list(dr, front_desk):
    waiter = wait(dr, note="Chest pain follow-up")
    free_ten(dr)
    offer = open_offer(waiter)

    appointment = offer_book(offer=offer, by=front_desk)

    assert (appointment.patient, appointment.doctor) == (waiter.patient, dr)
    assert (appointment.start, appointment.end) == (at(10), at(10, 30))
    assert appointment.reason == "Chest pain follow-up"
    assert appointment.booked_by == front_desk
    offer.refresh_from_db()
    waiter.refresh_from_db()
    assert (offer.status, offer.appointment, offer.closed_by) == (
        OfferStatus.BOOKED,
        appointment,
        front_desk,
    )
    assert (waiter.status, waiter.appointment) == (WaitStatus.BOOKED, appointment)
    assert waitlist_page().entries == []


def test_a_second_click_on_a_booked_offer_says_so_and_books_nothing_more(dr, front_desk):
    waiter = wait(dr)
    free_ten(dr)
    offer = open_offer(waiter)
    offer_book(offer=offer, by=front_desk)

    with pytest.raises(OfferClosed, match="already booked"):
        offer_book(offer=offer, by=front_desk)
    assert Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).count() == 1


def test_a_slot_taken_meanwhile_closes_the_offer_with_a_message(dr, front_desk):
    waiter, _next = wait(dr), wait(dr)
    free_ten(dr)
    offer = open_offer(waiter)
    appointment_book(patient=PatientFactory(), doctor=dr, start=at(10), by=front_desk)

    with pytest.raises(OfferClosed, match="another booking took the slot"):
        offer_book(offer=offer, by=front_desk)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN
    assert open_offer(_next) is None  # the slot is gone: nobody else is offered it


def test_a_waiter_booked_elsewhere_meanwhile_hears_why_and_the_slot_moves_on(dr, front_desk):
    waiter, nxt = wait(dr), wait(dr)
    free_ten(dr)
    offer = open_offer(waiter)
    colleague = doctor_with_hours()
    AppointmentFactory(patient=waiter.patient, doctor=colleague, start=at(10), end=at(10, 30))

    with pytest.raises(OfferClosed, match=re.escape(f"now offered to {nxt.patient}")):
        offer_book(offer=offer, by=front_desk)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PASSED
    assert (open_offer(nxt).start, open_offer(nxt).end) == (at(10), at(10, 30))


def test_passing_offers_the_slot_to_the_next_waiter_and_never_back(dr, front_desk):
    first, second = wait(dr), wait(dr)
    free_ten(dr)

    nxt = offer_pass(offer=open_offer(first), by=front_desk)

    assert nxt.entry == second
    assert (nxt.start, nxt.end) == (at(10), at(10, 30))
    assert offer_pass(offer=nxt, by=front_desk) is None  # nobody else: the slot stays free
    first.refresh_from_db()
    assert first.status == WaitStatus.WAITING  # keeps their place for the next slot
    assert first_waiter(doctor=dr, start=at(10), end=at(10, 30)) is None
    with pytest.raises(OfferClosed, match="passed"):
        offer_pass(offer=nxt, by=front_desk)


def test_an_offer_expires_and_goes_to_the_next_waiter(dr, settings):
    settings.HMS_WAITLIST_OFFER_MINUTES = 30
    first, second = wait(dr), wait(dr)
    free_ten(dr)
    offer = open_offer(first)

    assert offers_expire_due(now=offer.expires_at - datetime.timedelta(seconds=1)) == 0
    assert offers_expire_due(now=offer.expires_at) == 1

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    nxt = open_offer(second)
    assert (nxt.start, nxt.expires_at - nxt.created_at > datetime.timedelta(minutes=29)) == (
        at(10),
        True,
    )
    assert offers_expire_due(now=offer.expires_at) == 0  # nothing twice


def test_booking_an_expired_offer_the_sweep_missed_moves_it_on(dr, front_desk):
    first, second = wait(dr), wait(dr)
    free_ten(dr)
    offer = open_offer(first)

    with pytest.raises(
        OfferClosed, match="expired at .* now offered to " + re.escape(str(second.patient))
    ):
        offer_book(offer=offer, by=front_desk, now=offer.expires_at + LATER)
    assert not Appointment.objects.filter(patient=first.patient).exists()
    assert open_offer(second) is not None


def test_expired_offers_are_not_shown_as_offered(dr):
    waiter = wait(dr)
    free_ten(dr)
    offer = open_offer(waiter)

    assert [e.pk for e in waitlist_offers(doctor=dr, day=MONDAY)] == [waiter.pk]
    assert waitlist_offers(doctor=dr, day=MONDAY, now=offer.expires_at) == []


def test_waitlist_offers_lists_the_days_offered_waiters_best_first(dr):
    from appointments.waitlist.models import WaitPriority

    normal = wait(dr)
    urgent = wait(dr, priority=WaitPriority.URGENT)
    for hour in (10, 11):
        appointment = AppointmentFactory(doctor=dr, start=at(hour), end=at(hour, 30))
        appointment_cancel(appointment=appointment, reason="Called", by=None)

    offered = waitlist_offers(doctor=dr, day=MONDAY)

    assert [e.pk for e in offered] == [urgent.pk, normal.pk]
    assert [e.offer.start for e in offered] == [at(10), at(11)]


def test_removing_a_waiter_withdraws_their_offer_for_the_next(dr, front_desk):
    first, second = wait(dr), wait(dr)
    free_ten(dr)
    offer = open_offer(first)

    waitlist_remove(entry=first, by=front_desk)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert open_offer(second).start == at(10)
    first.refresh_from_db()
    assert first.status == WaitStatus.REMOVED
    assert AuditEvent.objects.filter(object_id=str(first.pk), action="update").exists()


def test_changing_a_waiter_keeps_their_place_in_line(dr, front_desk):
    first, second = wait(dr), wait(dr)

    waitlist_update(entry=first, data={"note": " Mornings only "}, by=front_desk)
    free_ten(dr)

    first.refresh_from_db()
    assert first.note == "Mornings only"
    assert open_offer(first) is not None and open_offer(second) is None


def test_the_waitlist_pages_by_key_in_line_order(dr):
    entries = [wait(dr) for _ in range(5)]
    seen, after = [], None
    while True:
        page = waitlist_page(after=after, size=2)
        seen += [entry.pk for entry in page.entries]
        if not page.next_after:
            break
        after = page.next_after

    assert seen == [entry.pk for entry in entries]
    assert waitlist_page(doctor=doctor_with_hours()).entries == []


def test_the_match_is_an_index_probe_not_a_scan(dr):
    patients = [PatientFactory.build(mrn=f"W{n:07d}") for n in range(3000)]
    from patients.models import Patient

    Patient.objects.bulk_create(patients)
    others = [doctor_with_hours() for _ in range(3)]
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            patient=patient,
            doctor=others[n % 3] if n % 10 else dr,
            day_from=MONDAY,
            day_to=MONDAY,
        )
        for n, patient in enumerate(Patient.objects.filter(mrn__startswith="W"))
    )
    with connection.cursor() as cursor:
        # As the application's login, which owns no table: through the owner's function, as
        # the demo seed and the import do (a plain ANALYZE would be skipped, and the planner
        # would price the tables by what an earlier test's statistics left behind).
        refresh_statistics(
            cursor,
            [
                "appointments_waitlistentry",
                "appointments_waitlistoffer",
                "appointments_appointment",
                "patients_patient",
            ],
        )
    with CaptureQueriesContext(connection) as queries:
        assert first_waiter(doctor=dr, start=at(10), end=at(10, 30)) is not None
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) == 2
    assert "waitlist_doctor_match_idx" in plans[0], plans[0]
    assert "waitlist_specialty_match_idx" in plans[1], plans[1]
    assert all("Seq Scan on appointments_waitlistentry" not in plan for plan in plans), plans
