"""Reads of the waitlist: the desk's page (waiters in line, paged by key; the open offers),
the offers of a doctor's day (DESIGN.md's `waitlist_offers`, re-exported by
appointments.selectors), and the day calendar's offered cells."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Concat, JSONObject
from django.utils import timezone

from appointments.messaging.models import AppointmentMessage
from appointments.selectors.lists import _day_bounds
from appointments.waitlist.models import OfferStatus, WaitlistEntry, WaitlistOffer, WaitStatus
from core.pagination import RowCompare
from core.params import is_digits
from doctors.models import Doctor, Specialty

PAGE_SIZE = 50
OFFERS_SHOWN = 100
_KEY = ("priority", "created_at", "id")


@dataclass
class WaitlistPage:
    entries: list[WaitlistEntry]
    next_after: str  # the key of the page's last row, "" on the last page


def page_key(entry: WaitlistEntry) -> str:
    return f"{entry.priority}_{entry.created_at.isoformat()}_{entry.pk}"


def parse_key(raw: str | None) -> tuple[int, datetime.datetime, int] | None:
    """A page key written by `page_key`; None for anything else (the first page)."""
    parts = (raw or "").split("_")
    if len(parts) != 3 or not is_digits(parts[0], at_most=4) or not is_digits(parts[2]):
        return None
    try:
        since = datetime.datetime.fromisoformat(parts[1])
    except ValueError:
        return None
    if timezone.is_naive(since):
        return None
    return int(parts[0]), since, int(parts[2])


def waiting(
    *, doctor: Doctor | None = None, specialty: Specialty | None = None
) -> QuerySet[WaitlistEntry]:
    """Everyone waiting, in line (priority, then waiting since), with what the page shows;
    for `doctor`, those waiting for that doctor; for `specialty`, those waiting for it and
    for its doctors."""
    entries = WaitlistEntry.objects.filter(status=WaitStatus.WAITING)
    if doctor is not None:
        entries = entries.filter(doctor=doctor)
    elif specialty is not None:
        entries = entries.filter(specialty=specialty) | entries.filter(doctor__specialty=specialty)
    return entries.select_related("patient", "doctor", "specialty").order_by(*_KEY)


def waitlist_page(
    *,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> WaitlistPage:
    """One page of `waiting`, after the key `after`: one query, an index range from the key
    (waitlist_waiting_idx, or the doctor's match index), never an OFFSET."""
    entries = waiting(doctor=doctor, specialty=specialty)
    key = parse_key(after)
    if key is not None:
        entries = entries.filter(RowCompare(_KEY, ">", key))
    rows = list(entries[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return WaitlistPage(rows, page_key(rows[-1]) if more else "")


def open_offers(
    *,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
    now: datetime.datetime | None = None,
) -> list[WaitlistOffer]:
    """The live offers (open, not expired), soonest slot first, at most OFFERS_SHOWN, each
    with the messages that tell its waiter. Two queries (one when there is none)."""
    offers = WaitlistOffer.objects.filter(
        status=OfferStatus.OPEN, expires_at__gt=now or timezone.now()
    )
    if doctor is not None:
        offers = offers.filter(doctor=doctor)
    elif specialty is not None:
        offers = offers.filter(doctor__specialty=specialty)
    return list(
        offers.select_related("entry__patient", "doctor__specialty")
        .prefetch_related(
            Prefetch("messages", queryset=AppointmentMessage.objects.order_by("channel", "pk"))
        )
        .order_by("start", "id")[:OFFERS_SHOWN]
    )


def waitlist_offers(
    *, doctor: Doctor, day: datetime.date, now: datetime.datetime | None = None
) -> list[WaitlistEntry]:
    """The waiters holding a live offer of a slot of `doctor` on `day`, best first (priority,
    then waiting since); each with `offer`, the offer. One query."""
    start, end = _day_bounds(day, day)
    offers = (
        WaitlistOffer.objects.filter(
            doctor=doctor,
            status=OfferStatus.OPEN,
            expires_at__gt=now or timezone.now(),
            start__gte=start,
            start__lt=end,
        )
        .select_related("entry__patient", "entry__doctor", "entry__specialty")
        .order_by("entry__priority", "entry__created_at", "entry_id")
    )
    entries = []
    for offer in offers:
        offer.entry.offer = offer
        entries.append(offer.entry)
    return entries


def day_offers(*, day: datetime.date, now: datetime.datetime | None = None) -> ArraySubquery:
    """For the day calendar's doctors query (an annotation, so no query of its own): each
    doctor's live offers of `day` as {"start": ISO time, "pk": offer, "name": "Last, First"}."""
    start, end = _day_bounds(day, day)
    return ArraySubquery(
        WaitlistOffer.objects.filter(
            doctor=OuterRef("pk"),
            status=OfferStatus.OPEN,
            expires_at__gt=now or timezone.now(),
            start__gte=start,
            start__lt=end,
        )
        .order_by("start")
        .values(
            json=JSONObject(
                start=F("start"),
                pk=F("pk"),
                name=Concat(
                    F("entry__patient__last_name"), Value(", "), F("entry__patient__first_name")
                ),
            )
        )
    )


def offered_cells(doctor: Doctor) -> dict[datetime.datetime, dict]:
    """The offers `day_offers` put on a doctor, by their slot's start."""
    return {
        datetime.datetime.fromisoformat(offer["start"]): offer
        for offer in getattr(doctor, "waitlist_offers", None) or ()
    }
