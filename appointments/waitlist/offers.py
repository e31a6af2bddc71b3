"""The one hook of a freed slot, and the match: who is offered a doctor's freed time.

`slot_freed` is called by the writes that free a doctor's time, and by nothing else: a status
move out of the active statuses (appointments.status_moves `_move`: a cancellation, a no-show),
a reschedule (appointments.services.appointment_reschedule: the old time), new working hours
(`hours_opened`), and the offers that end without a booking (passed, expired, refused), whose
slot goes to the next waiter. It asks the availability engine which slots of the freed span
are free and in the future (the engine is the one judge of a bookable time), and offers each
to the first matching waiter.

The match (`first_waiter`) is two index probes: the waiters of the slot's doctor and those of
its specialty, each read in the waitlist's order (priority, then waiting since) from its
partial index until one fits the slot's date, weekday and times.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from appointments.messaging.services import messages_for_offer
from appointments.models import Appointment
from appointments.selectors.availability import available_slots
from appointments.waitlist.models import (
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
)
from doctors.models import Doctor, WorkingHours

# How far ahead new working hours are offered to waiters.
HOURS_HORIZON_DAYS = 28
# Tries of one slot when a concurrent match gave our waiter another offer meanwhile.
_TRIES = 3


def offer_minutes() -> int:
    """How long an offer stays open (HMS_WAITLIST_OFFER_MINUTES, default 30)."""
    return int(getattr(settings, "HMS_WAITLIST_OFFER_MINUTES", 30))


@dataclass(frozen=True)
class FreedSlot:
    doctor: Doctor
    start: datetime.datetime
    end: datetime.datetime


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def first_waiter(
    *, doctor: Doctor, start: datetime.datetime, end: datetime.datetime
) -> WaitlistEntry | None:
    """The waiter first in line for `doctor`'s slot [start, end): waiting for that doctor or
    their specialty, the slot's local date within the waiter's dates, its weekday among the
    waiter's, starting no earlier than `earliest` and ending by `latest`; holding no open
    offer, never offered this slot before, and free at that time (no active appointment of
    the patient overlapping it). Best priority first, then the longest waiting.

    Two queries, each an index probe (waitlist_doctor_match_idx, waitlist_specialty_match_idx)
    read in order until the first row that fits.
    """
    local_start, local_end = _local(start), _local(end)
    day = local_start.date()
    fits = (
        WaitlistEntry.objects.filter(status=WaitStatus.WAITING, day_from__lte=day, day_to__gte=day)
        .alias(on_day=F("weekdays").bitand(1 << day.weekday()))
        .filter(on_day__gt=0)
        .filter(Q(earliest__isnull=True) | Q(earliest__lte=local_start.time()))
        .filter(Q(latest__isnull=True) | Q(latest__gte=local_end.time()))
        .filter(
            ~Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.OPEN)),
            ~Exists(
                WaitlistOffer.objects.filter(entry=OuterRef("pk"), start=start, doctor_id=doctor.pk)
            ),
            ~Exists(
                Appointment.objects.active().filter(
                    patient=OuterRef("patient"),
                    start__lt=end,
                    end__gt=start,
                )
            ),
        )
        .select_related("patient")
        .order_by("priority", "created_at", "id")
    )
    candidates = [fits.filter(doctor_id=doctor.pk).first()]
    if doctor.specialty_id is not None:
        candidates.append(fits.filter(specialty_id=doctor.specialty_id).first())
    found = [entry for entry in candidates if entry is not None]
    return min(found, key=lambda e: (e.priority, e.created_at, e.pk)) if found else None


def _offer(slot: FreedSlot, now: datetime.datetime) -> WaitlistOffer | None:
    """Offer `slot` to the first waiter, and tell them (appointments.messaging: a message per
    channel, queued in this transaction, so an offer rolled back sends nothing); None when
    nobody waits for it. In a savepoint each: a concurrent match that gave the same waiter
    another offer (one open offer per waiter) or offered the same slot (one open offer per
    slot) is met by the unique indexes."""
    for _ in range(_TRIES):
        entry = first_waiter(doctor=slot.doctor, start=slot.start, end=slot.end)
        if entry is None:
            return None
        offer = WaitlistOffer(
            entry=entry,
            doctor=slot.doctor,
            start=slot.start,
            end=slot.end,
            status=OfferStatus.OPEN,
            expires_at=now + datetime.timedelta(minutes=offer_minutes()),
        )
        # No full_clean(): its checks of the foreign keys and unique indexes would cost a
        # query each, and the database holds every rule of this row (migration 0008).
        try:
            with transaction.atomic():
                offer.save()
                messages_for_offer(offer=offer)
        except IntegrityError as exc:
            name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
            if name == "appointments_waitlistoffer_one_open_per_slot":
                return None  # another match offered this slot meanwhile
            if name != "appointments_waitlistoffer_one_open_per_waiter":
                raise
            continue  # our waiter got another slot meanwhile: the next one
        return offer
    return None


def slots_freed(
    *,
    doctor: Doctor,
    spans: list[tuple[datetime.datetime, datetime.datetime]],
    now: datetime.datetime | None = None,
) -> list[WaitlistOffer]:
    """Offer the free future slots of `doctor` that overlap `spans` (the time just freed),
    each to its first waiter. One query when nobody waits for the doctor or their specialty
    on those days (the usual cancellation); else five (that one, the engine's three, the open
    offers of the span), then two per free slot for the match and, per offer made, its INSERT,
    its messages' and (when one is pending) their jobs'."""
    now = now or timezone.now()
    spans = [(start, end) for start, end in spans if end > now]
    if not spans or not doctor.is_active:
        return []
    first = _local(min(start for start, _ in spans)).date()
    last = _local(max(end for _, end in spans)).date()
    for_doctor = Q(doctor_id=doctor.pk)
    if doctor.specialty_id is not None:
        for_doctor |= Q(specialty_id=doctor.specialty_id)
    if not WaitlistEntry.objects.filter(
        for_doctor, status=WaitStatus.WAITING, day_from__lte=last, day_to__gte=first
    ).exists():
        return []
    free = available_slots(doctor=doctor, day_from=first, day_to=last, now=now)
    offered = set(
        WaitlistOffer.objects.filter(
            doctor_id=doctor.pk,
            status=OfferStatus.OPEN,
            start__gte=min(start for start, _ in spans) - datetime.timedelta(days=1),
            start__lt=max(end for _, end in spans),
        ).values_list("start", flat=True)
    )
    offers = []
    for slot_start, slot_end in free:
        if slot_start in offered:
            continue
        if not any(slot_start < end and slot_end > start for start, end in spans):
            continue
        offer = _offer(FreedSlot(doctor, slot_start, slot_end), now)
        if offer is not None:
            offers.append(offer)
    return offers


# The spans freed inside `freeing_deferred`, by doctor; None outside one (per thread: a
# request or a job runs on one).
_held = threading.local()


@contextmanager
def freeing_deferred() -> Iterator[None]:
    """Offer the time freed inside the block only at its end, once, after the block's own
    bookings: a write that frees times and takes some of them again in one transaction (a
    series whose rule changes: its old occurrences cancelled, the new ones booked, often at
    the same times) offers a waiter only what is still free then, not a slot that is taken a
    moment later. Nested blocks offer at the outermost one's end; an exception offers
    nothing (the transaction it leaves is rolled back)."""
    if getattr(_held, "spans", None) is not None:
        yield
        return
    _held.spans = {}
    try:
        yield
        held, _held.spans = _held.spans, None
        now = timezone.now()
        for doctor_id, spans in held.items():
            doctor = Doctor.objects.filter(pk=doctor_id).first()
            if doctor is not None:
                slots_freed(doctor=doctor, spans=spans, now=now)
    finally:
        _held.spans = None


def slot_freed(
    *,
    doctor_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> list[WaitlistOffer]:
    """THE hook: `doctor_id`'s time [start, end) was just freed (see the module's doc).
    Returns the offers made (none yet inside `freeing_deferred`, which offers at its end)."""
    now = now or timezone.now()
    if end <= now:
        return []
    held = getattr(_held, "spans", None)
    if held is not None:
        held.setdefault(doctor_id, []).append((start, end))
        return []
    doctor = Doctor.objects.filter(pk=doctor_id).first()
    if doctor is None:
        return []
    return slots_freed(doctor=doctor, spans=[(start, end)], now=now)


def hours_opened(
    *, hours: WorkingHours, now: datetime.datetime | None = None
) -> list[WaitlistOffer]:
    """New (or changed) working hours: their free slots of the next HOURS_HORIZON_DAYS days
    are freed time, offered as any other."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    today = _local(now).date()
    spans = []
    for offset in range(HOURS_HORIZON_DAYS):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() != hours.weekday or day < hours.valid_from:
            continue
        if hours.valid_until is not None and day > hours.valid_until:
            continue
        spans.append(
            (
                timezone.make_aware(datetime.datetime.combine(day, hours.start_time), tz),
                timezone.make_aware(datetime.datetime.combine(day, hours.end_time), tz),
            )
        )
    doctor = Doctor.objects.get(pk=hours.doctor_id)
    return slots_freed(doctor=doctor, spans=spans, now=now)
