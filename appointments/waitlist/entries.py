"""The desk's writes on the waitlist itself: add a waiter, change one, take one off. Each with
its audit row. (`waitlist_add` is re-exported by appointments.services, DESIGN.md's contract.)"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.waitlist.models import (
    EVERY_DAY,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitPriority,
    WaitStatus,
)
from appointments.waitlist.offers import slot_freed
from core import audit
from core.actors import acting_user
from doctors.models import Doctor, Specialty
from patients.models import Patient

# What the audit log keeps of a waiter, and what the desk may change.
ENTRY_FIELDS = (
    "doctor",
    "specialty",
    "day_from",
    "day_to",
    "weekdays",
    "earliest",
    "latest",
    "priority",
    "note",
)


def _check(entry: WaitlistEntry) -> None:
    if entry.doctor_id is None and entry.specialty_id is None:
        raise ValidationError("Say which doctor or which specialty the patient waits for.")
    if entry.doctor_id is not None and entry.specialty_id is not None:
        raise ValidationError("Wait for one doctor or for a specialty, not both.")
    if entry.day_to < timezone.localdate():
        raise ValidationError({"day_to": "The last day has already passed."})
    entry.full_clean()


@transaction.atomic
def waitlist_add(
    *,
    patient: Patient,
    day_from: datetime.date,
    day_to: datetime.date,
    by: Any,
    doctor: Doctor | None = None,
    specialty: Specialty | None = None,
    weekdays: int = EVERY_DAY,
    earliest: datetime.time | None = None,
    latest: datetime.time | None = None,
    priority: int = WaitPriority.NORMAL,
    note: str = "",
) -> WaitlistEntry:
    """Put `patient` on the waitlist for `doctor` or for any doctor of `specialty`, between
    two dates (inclusive), on `weekdays` (a bit per day, Monday bit 0), starting no earlier
    than `earliest` and ending by `latest`. Waiting from now: the time breaks ties of
    priority."""
    if not patient.is_active:
        raise ValidationError("This patient's record is deactivated; reactivate it first.")
    entry = WaitlistEntry(
        patient=patient,
        doctor=doctor,
        specialty=specialty,
        day_from=day_from,
        day_to=day_to,
        weekdays=weekdays,
        earliest=earliest,
        latest=latest,
        priority=priority,
        note=(note or "").strip(),
        added_by=acting_user(by),
    )
    _check(entry)
    entry.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=entry,
        patient=patient,
        changes=audit.created(entry, ("patient", *ENTRY_FIELDS)),
    )
    return entry


def _locked(entry: WaitlistEntry) -> WaitlistEntry:
    return (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=entry.pk)
    )


def _still_waiting(entry: WaitlistEntry) -> None:
    if entry.status != WaitStatus.WAITING:
        raise ValidationError(
            f"This patient is no longer waiting ({entry.get_status_display().lower()})."
        )


@transaction.atomic
def waitlist_update(*, entry: WaitlistEntry, data: Mapping[str, Any], by: Any) -> WaitlistEntry:
    """Change what a waiter waits for (ENTRY_FIELDS); their place in line (waiting since)
    stays. An open offer they hold stays open."""
    unknown = set(data) - set(ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"Not a waitlist field: {', '.join(sorted(unknown))}")
    entry = _locked(entry)
    _still_waiting(entry)
    before = audit.snapshot(entry, ENTRY_FIELDS)
    for name, value in data.items():
        setattr(entry, name, value.strip() if name == "note" else value)
    _check(entry)
    entry.save()
    changes = audit.diff(before, audit.snapshot(entry, ENTRY_FIELDS))
    if changes:
        audit.audit_record(
            actor=by, action=audit.Action.UPDATE, obj=entry, patient=entry.patient, changes=changes
        )
    return entry


@transaction.atomic
def waitlist_remove(*, entry: WaitlistEntry, by: Any) -> WaitlistEntry:
    """Take a waiter off the list (kept, as removed, with their offers); an open offer they
    held is withdrawn and its slot offered to the next waiter.

    Locks as booking an offer does (`offer_book`): the offers first, then the waiter, so a
    desk removing a waiter while another books their offer waits its turn, never deadlocks."""
    open_offers = WaitlistOffer.objects.select_for_update().filter(
        entry_id=entry.pk, status=OfferStatus.OPEN
    )
    list(open_offers.order_by("pk"))
    entry = _locked(entry)
    _still_waiting(entry)
    before = audit.snapshot(entry, ("status",))
    entry.status = WaitStatus.REMOVED
    entry.save(update_fields=["status", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=entry,
        patient=entry.patient,
        changes=audit.diff(before, audit.snapshot(entry, ("status",))),
    )
    now = timezone.now()
    for offer in open_offers.order_by("pk"):
        offer.status, offer.closed_at, offer.closed_by = OfferStatus.WITHDRAWN, now, acting_user(by)
        offer.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        slot_freed(doctor_id=offer.doctor_id, start=offer.start, end=offer.end, now=now)
    return entry
