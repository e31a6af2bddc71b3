"""Slot: a free slot of a doctor's Schedule, as the booking page offers it. Slots are not
stored: they are computed by the booking page's availability engine
(appointments.selectors.free_slots_by_doctor: working hours and their slot grid, time off,
active appointments, nothing already started), so this module holds no rule of its own
about when a doctor is free. A slot that is taken is simply no longer there.

A slot's id is `<doctor id>-<start, UTC, YYYYMMDDHHMM>-<minutes>`, e.g. `12-203003040800-30`:
stable while the slot stays free, and readable back (`GET Slot/<id>` recomputes that day:
200 while free, 404 once taken, passed or outside the hours; 400 when malformed).

Search (a `Computed` search: fhir/kinds.py):
- `schedule`: Schedule/<doctor id> (or the id; commas for several). Without it, every
  bookable doctor's slots, in the same bounded window.
- `start`: FHIR dates or times with eq (that day, minute...), ge, gt, le, lt; repeated to
  bound both sides. The window is from now on and at most MAX_DAYS hospital days long
  (default: MAX_DAYS days from its first day); longer is a 400.
- `status`: only free slots are served; `free` (the default) lists them, any other status of
  the value set (busy, busy-unavailable, ...) finds none and says why in the Bundle.
Pages are ordered by (start, doctor, minutes), and a next link starts after its last slot's
key: the engine is asked for the days from that slot on, a few at a time (doubling until
the page is full), so a later page costs what the first does. Each ask is the engine's
three queries, index ranges on the doctors and the days, whatever the number of patients
and appointments."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.slot import Slot

from appointments.selectors import bookable_doctors, free_slots_by_doctor, local_date
from core.dates import EARLIEST, LATEST
from doctors.models import Doctor
from fhir.access import TABLE as ACCESS
from fhir.access import Need
from fhir.errors import BadRequest, NotFound
from fhir.kinds import Computed, ResourceType, SearchParam
from fhir.mappings.slot_window import MAX_DAYS, Window
from fhir.search import STALE_LINK, Token, reference_id, split_or

_ID = re.compile(r"(?P<doctor>[1-9][0-9]{0,17})-(?P<start>[0-9]{12})-(?P<minutes>[1-9][0-9]{0,3})")
STATUSES = ("busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error")
STATUS_SYSTEM = "http://hl7.org/fhir/slotstatus"
_MINUTE = datetime.timedelta(minutes=1)
ONLY_FREE = (
    "This server lists free slots only (a slot that is taken is no longer listed), so no "
    "slot has the status asked for."
)


@dataclass(frozen=True, order=True)
class FreeSlot:
    """A free slot, ordered as the search pages it."""

    start: datetime.datetime
    doctor_id: int
    minutes: int

    @property
    def end(self) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=self.minutes)

    @property
    def id(self) -> str:
        utc = self.start.astimezone(datetime.UTC)
        return f"{self.doctor_id}-{utc:%Y%m%d%H%M}-{self.minutes}"


def to_resource(slot: FreeSlot) -> Slot:
    tz = timezone.get_default_timezone()
    return Slot.model_validate(
        {
            "resourceType": "Slot",
            "id": slot.id,
            "schedule": {"reference": f"Schedule/{slot.doctor_id}"},
            "status": "free",
            "start": timezone.localtime(slot.start, tz).isoformat(),
            "end": timezone.localtime(slot.end, tz).isoformat(),
        }
    )


# --- read -------------------------------------------------------------------------------------


def read_id(text: str) -> FreeSlot:
    match = _ID.fullmatch(text)
    if not match:
        raise BadRequest(
            f"'{text[:64]}' is not a Slot id: a Slot id is <doctor id>-<start as "
            "YYYYMMDDHHMM, UTC>-<minutes>, e.g. 12-203003040800-30, as the searches give."
        )
    try:
        start = datetime.datetime.strptime(match["start"], "%Y%m%d%H%M")
    except ValueError:
        raise BadRequest(
            f"Slot id '{text[:64]}': its start is not a time of the calendar."
        ) from None
    if not EARLIEST <= start.date() <= LATEST:
        raise BadRequest(
            f"Slot id '{text[:64]}': its start is not between {EARLIEST:%Y} and {LATEST:%Y}."
        )
    return FreeSlot(
        start=start.replace(tzinfo=datetime.UTC),
        doctor_id=int(match["doctor"]),
        minutes=int(match["minutes"]),
    )


def get(wanted: FreeSlot) -> FreeSlot:
    """The slot while it is free: the engine's free slots of its doctor on its day hold it."""
    doctor = Doctor.objects.filter(pk=wanted.doctor_id).first()
    if doctor is None:
        raise NotFound(f"There is no Slot {wanted.id}: there is no Schedule/{wanted.doctor_id}.")
    day = local_date(wanted.start)
    free = free_slots_by_doctor(doctors=[doctor], day_from=day, day_to=day)[doctor.pk]
    if (wanted.start, wanted.end) not in free:
        raise NotFound(
            f"Slot {wanted.id} is not free: it has been booked, it has passed, or it is "
            f"outside {doctor}'s working hours or in time off. Search Slot?schedule="
            f"Schedule/{doctor.pk} for the free ones."
        )
    return wanted


# --- search -----------------------------------------------------------------------------------


def _schedule(plan: Computed, values: list[str]) -> None:
    """Each occurrence a set of doctors (its alternatives); repeated, they must all match."""
    for value in values:
        ids = {reference_id(ref, target="Schedule", param="schedule") for ref in split_or(value)}
        known = plan.filters.get("doctors")
        plan.filters["doctors"] = ids if known is None else known & ids


def _start(plan: Computed, values: list[str]) -> None:
    window = Window()
    for value in values:
        if len(split_or(value)) > 1:
            raise BadRequest(
                "start: one date per occurrence; repeat start to bound both sides "
                "(start=ge2030-03-04&start=lt2030-03-11)."
            )
        window = window.narrowed(value)
    plan.filters["window"] = window


def _status(plan: Computed, values: list[str]) -> None:
    for value in values:
        codes = set()
        for alternative in split_or(value):
            token = Token.parse(alternative)
            if not token.in_system(STATUS_SYSTEM) or token.code not in STATUSES:
                raise BadRequest(
                    f"status: '{alternative[:40]}' is not a slot status ({', '.join(STATUSES)})."
                )
            codes.add(token.code)
        if "free" not in codes:
            plan.filters["none"] = True
    if plan.filters.get("none"):
        plan.notes.append(lambda rows: ONLY_FREE)


def _key(slot: FreeSlot) -> list[Any]:
    return [slot.start.astimezone(datetime.UTC).isoformat(), slot.doctor_id, slot.minutes]


def _after(key: list[Any] | None) -> FreeSlot | None:
    """The slot a next link starts after (its key, as `_key` wrote it)."""
    if key is None:
        return None
    try:
        start, doctor_id, minutes = key
        moment = datetime.datetime.fromisoformat(start)
    except (ValueError, TypeError):
        raise BadRequest(STALE_LINK) from None
    if moment.tzinfo is None or not isinstance(doctor_id, int) or not isinstance(minutes, int):
        raise BadRequest(STALE_LINK)
    return FreeSlot(start=moment, doctor_id=doctor_id, minutes=minutes)


def _fetch(filters: dict[str, Any], key: list[Any] | None, limit: int) -> list[FreeSlot]:
    """Up to `limit` free slots in order, after the key's slot: the engine is asked for the
    days from there on, first a week for one doctor (a day for seven or more), twice as many
    days each time the page is not yet full, up to the window's end."""
    after = _after(key)
    now = timezone.now()
    lower, upper = filters.get("window", Window()).served(now=now)
    if after is not None:
        lower = max(lower, after.start)
    ids = filters.get("doctors")
    if filters.get("none") or upper <= lower or ids == set():
        return []
    doctors = list(
        bookable_doctors() if ids is None else Doctor.objects.filter(pk__in=ids).order_by("pk")
    )
    if not doctors:
        return []
    found: list[FreeSlot] = []
    day, last = local_date(lower), local_date(upper - datetime.timedelta(microseconds=1))
    span = max(1, 7 // len(doctors))
    while day <= last and len(found) < limit:
        until = min(last, day + datetime.timedelta(days=span - 1))
        by_doctor = free_slots_by_doctor(doctors=doctors, day_from=day, day_to=until, now=now)
        slots = sorted(
            FreeSlot(start=start, doctor_id=doctor_id, minutes=(end - start) // _MINUTE)
            for doctor_id, pairs in by_doctor.items()
            for start, end in pairs
            if lower <= start < upper
        )
        found += [slot for slot in slots if after is None or slot > after]
        day, span = until + datetime.timedelta(days=1), span * 2
    return found[:limit]


TYPE = ResourceType(
    name="Slot",
    documentation=(
        "A free slot of a doctor's Schedule, computed by the booking page's availability "
        "engine (working hours, time off, appointments): listed while free, gone once booked. "
        f"A search covers at most {MAX_DAYS} days from now on. Every role that reads doctors "
        "reads it."
    ),
    allows=lambda user: ACCESS.allows(user, Need.DOCTORS),
    refusal="Your role may not read doctors' schedules.",
    start=lambda: Computed(fetch=_fetch, key=_key),
    get=get,
    read_id=read_id,
    to_resource=to_resource,
    params=(
        SearchParam(
            "schedule",
            "reference",
            "The doctor's schedule: Schedule/<id> (the doctor's id), or the id; without it, "
            "every bookable doctor's free slots.",
            _schedule,
        ),
        SearchParam(
            "start",
            "date",
            "When the slot starts: a date (that day, in the hospital's time) or a time, with "
            f"eq, ge, gt, le or lt; from now on, at most {MAX_DAYS} days (default: "
            f"{MAX_DAYS} days from the first).",
            _start,
        ),
        SearchParam(
            "status",
            "token",
            "free (the only status served: any other finds no slot).",
            _status,
        ),
    ),
)
