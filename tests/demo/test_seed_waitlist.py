"""The demo hospital shows the waitlist (issue 18): patients waiting, and a cancellation whose
freed slot is offered to the first of them, as the desk's cancellation does."""

import pytest

from appointments.models import Appointment, AppointmentStatus
from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitlistOffer
from demo.generator import seed
from demo.waitlist import WAITERS

pytestmark = pytest.mark.django_db


def test_the_demo_hospital_has_waiters_and_an_open_offer():
    seed(patients=80, doctors=4, days=7, seed=3, stdout=lambda line: None)

    assert WaitlistEntry.objects.filter(status="waiting").count() == WAITERS
    offer = WaitlistOffer.objects.get()
    assert offer.status == OfferStatus.OPEN
    cancelled = Appointment.objects.get(
        status=AppointmentStatus.CANCELLED, cancel_reason="Patient called to cancel"
    )
    assert (offer.doctor_id, offer.start) == (cancelled.doctor_id, cancelled.start)
    entry = offer.entry
    if entry.doctor_id is not None:
        assert entry.doctor_id == cancelled.doctor_id
    else:
        assert entry.specialty_id == cancelled.doctor.specialty_id
