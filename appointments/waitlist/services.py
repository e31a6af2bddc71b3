"""The desk's writes on offers: book one in one click (through `appointment_book`), pass it
to the next waiter, and the expiry of offers whose time is up (a periodic job, and the
waitlist page on each read, so that no offer is lost while no worker runs).

An offer that ends without a booking (passed, expired, refused) gives its slot back to
`slot_freed`, the one hook, which offers it to the next waiter still in line."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import SlotUnavailable, appointment_book
from appointments.waitlist.models import OfferStatus, WaitlistOffer, WaitStatus
from appointments.waitlist.offers import slot_freed
from core.actors import acting_user

# Offers the expiry handles per run; the next run (or page read) goes on.
EXPIRE_BATCH = 200


class OfferClosed(ValidationError):
    """The offer cannot be booked or passed any more; `str()` says why, for the desk. What
    the attempt changed (an expired or refused offer moved on to the next waiter) is kept."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="offer_closed")

    def __str__(self) -> str:
        return str(self.message)


def _hm(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment, timezone.get_default_timezone()):%H:%M}"


def _locked(offer: WaitlistOffer) -> WaitlistOffer:
    return (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("entry__patient", "doctor")
        .get(pk=offer.pk)
    )


_CLOSED = {
    OfferStatus.BOOKED: "it was already booked",
    OfferStatus.PASSED: "it was passed to the next waiting patient",
    OfferStatus.EXPIRED: "it expired and went to the next waiting patient",
    OfferStatus.TAKEN: "another booking took the slot",
    OfferStatus.WITHDRAWN: "the patient was taken off the waitlist",
}


def _close(offer: WaitlistOffer, status: str, by: Any, now: datetime.datetime) -> None:
    offer.status, offer.closed_at, offer.closed_by = status, now, acting_user(by)
    offer.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])


def _move_on(offer: WaitlistOffer, now: datetime.datetime) -> WaitlistOffer | None:
    """The slot of a closed offer, to the next waiter (None: nobody, or the slot is gone)."""
    made = slot_freed(doctor_id=offer.doctor_id, start=offer.start, end=offer.end, now=now)
    return next((o for o in made if o.start == offer.start), None)


def _open_offer(offer: WaitlistOffer, by: Any, now: datetime.datetime) -> str:
    """Why a locked offer cannot be acted on ("" when it can); an expired one is closed and
    moved on here (what the sweep would have done)."""
    if offer.status != OfferStatus.OPEN:
        return f"This offer is closed: {_CLOSED.get(offer.status, offer.status)}."
    if offer.expires_at <= now:
        _close(offer, OfferStatus.EXPIRED, None, now)
        nxt = _move_on(offer, now)
        after = f" It is now offered to {nxt.entry.patient}." if nxt else ""
        return f"This offer expired at {_hm(offer.expires_at)}.{after}"
    return ""


def offer_book(
    *, offer: WaitlistOffer, by: Any, now: datetime.datetime | None = None
) -> Appointment:
    """Book the offered slot for its waiter: one call of `appointment_book` (every rule of a
    booking holds, the exclusion constraint included); the offer and the waiter are marked
    booked. Raises OfferClosed when the offer is no longer open or expired, or when the
    booking is refused: a slot taken meanwhile closes the offer ("taken"); any other refusal
    (the patient booked elsewhere at that time, the hours changed) moves it to the next
    waiter. What that changed stays (the offer's row is locked, so two desks booking it at
    once take turns: the second hears it was already booked)."""
    now = now or timezone.now()
    outcome: Appointment | str
    with transaction.atomic():
        outcome = _book(offer, by, now)
    if isinstance(outcome, str):
        raise OfferClosed(outcome)
    return outcome


def _book(offer: WaitlistOffer, by: Any, now: datetime.datetime) -> Appointment | str:
    offer = _locked(offer)
    refused = _open_offer(offer, by, now)
    if refused:
        return refused
    entry = offer.entry
    try:
        appointment = appointment_book(
            patient=entry.patient,
            doctor=offer.doctor,
            start=offer.start,
            end=offer.end,
            reason=entry.note or "From the waitlist",
            by=by,
        )
    except SlotUnavailable as exc:
        taken = (
            Appointment.objects.active()
            .filter(doctor_id=offer.doctor_id, start__lt=offer.end, end__gt=offer.start)
            .exists()
        )
        if taken:
            _close(offer, OfferStatus.TAKEN, by, now)
            return f"{exc} The offer to {entry.patient} is closed."
        _close(offer, OfferStatus.PASSED, by, now)
        nxt = _move_on(offer, now)
        after = f"It is now offered to {nxt.entry.patient}." if nxt else "Nobody else waits."
        return f"{exc} {after}"
    # The booking's own trigger closed the offer as taken (its time is now held): it is ours.
    offer.status, offer.closed_at, offer.closed_by = OfferStatus.BOOKED, now, acting_user(by)
    offer.appointment = appointment
    offer.save(update_fields=["status", "closed_at", "closed_by", "appointment", "updated_at"])
    entry.status, entry.appointment = WaitStatus.BOOKED, appointment
    entry.save(update_fields=["status", "appointment", "updated_at"])
    return appointment


def offer_pass(
    *, offer: WaitlistOffer, by: Any, now: datetime.datetime | None = None
) -> WaitlistOffer | None:
    """The waiter does not want the slot (or cannot be reached): the offer is closed and the
    slot offered to the next waiter, whose offer is returned (None when nobody is left).
    The waiter keeps their place for later slots. Raises OfferClosed when it is not open."""
    now = now or timezone.now()
    outcome: WaitlistOffer | None | str
    with transaction.atomic():
        locked = _locked(offer)
        outcome = _open_offer(locked, by, now)
        if not outcome:
            _close(locked, OfferStatus.PASSED, by, now)
            outcome = _move_on(locked, now)
    if isinstance(outcome, str):
        raise OfferClosed(outcome)
    return outcome


def offers_expire_due(*, now: datetime.datetime | None = None) -> int:
    """Close the open offers whose time is up and offer each slot to the next waiter; the
    number closed. Offers another transaction holds (a desk booking one) are skipped, never
    waited for. One query when nothing is due (waitlist_offer_due_idx)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WaitlistOffer.objects.select_for_update(skip_locked=True)
            .filter(status=OfferStatus.OPEN, expires_at__lte=now)
            .order_by("expires_at", "id")[:EXPIRE_BATCH]
        )
        for offer in due:
            _close(offer, OfferStatus.EXPIRED, None, now)
        for offer in due:
            _move_on(offer, now)
    return len(due)
