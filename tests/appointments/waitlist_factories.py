"""Waiters and open offers for tests that need one as it is (the URL access table)."""

import datetime

from django.utils import timezone

from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitlistOffer
from tests.appointments.factories import MONDAY, at, doctor_with_hours
from tests.factories import PatientFactory


def waiter(**fields) -> WaitlistEntry:
    """A patient waiting for a doctor who works Mondays 9:00–17:00, the week of MONDAY."""
    fields.setdefault("doctor", doctor_with_hours())
    return WaitlistEntry.objects.create(
        patient=fields.pop("patient", None) or PatientFactory(),
        day_from=MONDAY,
        day_to=MONDAY + datetime.timedelta(days=6),
        **fields,
    )


def open_offer(**fields) -> WaitlistOffer:
    """A waiter's open offer of their doctor's free 10:00 slot on MONDAY."""
    entry = waiter(**fields)
    return WaitlistOffer.objects.create(
        entry=entry,
        doctor=entry.doctor,
        start=at(10),
        end=at(10, 30),
        status=OfferStatus.OPEN,
        expires_at=timezone.now() + datetime.timedelta(minutes=30),
    )
