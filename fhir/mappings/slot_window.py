"""The window of time a Slot search covers, from its `start` values: FHIR dates and dateTimes
with a prefix, each the range of its precision (a day, a minute...), intersected, from now on
and at most MAX_DAYS hospital days long. Dates and zone-less times are the hospital's
(HMS_TIME_ZONE), as its day is."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone

from appointments.selectors import local_date
from fhir.errors import BadRequest

# The longest window one search covers, in hospital days (a month, whichever).
MAX_DAYS = 31
PREFIXES = ("eq", "ge", "gt", "le", "lt")
_VALUE = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>[0-9]{4})(-(?P<month>[0-9]{2})(-(?P<day>[0-9]{2})"
    r"(T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(:(?P<second>[0-9]{2})(\.(?P<fraction>[0-9]{1,6}))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)
_FORMAT = (
    "write YYYY-MM-DD, YYYY-MM or a time such as 2030-03-04T09:00[:00][Z or +01:00], "
    f"optionally after a prefix ({', '.join(PREFIXES)})"
)


@dataclass(frozen=True)
class Window:
    """[lower, upper): None where the values set no bound."""

    lower: datetime.datetime | None = None
    upper: datetime.datetime | None = None

    def narrowed(self, value: str) -> Window:
        """This window and the range `value` asks for (an AND, as repeated FHIR params)."""
        lower, upper = bounds(value)
        return Window(
            lower=max(filter(None, (self.lower, lower)), default=None),
            upper=min(filter(None, (self.upper, upper)), default=None),
        )

    def served(self, *, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
        """The window searched: from now at the earliest (a slot that has started is not
        free), to `upper`, by default MAX_DAYS hospital days from the lower bound's day.
        400 when the bounds span more days than that."""
        lower = max(self.lower or now, now)
        if self.upper is None:
            first = local_date(lower) + datetime.timedelta(days=MAX_DAYS)
            tz = timezone.get_default_timezone()
            return lower, timezone.make_aware(datetime.datetime.combine(first, datetime.time()), tz)
        if self.upper > lower:
            last = local_date(self.upper - datetime.timedelta(microseconds=1))
            if (last - local_date(lower)).days >= MAX_DAYS:
                raise BadRequest(
                    f"start: a search lists the free slots of at most {MAX_DAYS} days; this "
                    f"one asks for {local_date(lower)} to {last}. Narrow it, e.g. "
                    "start=ge2030-03-01&start=lt2030-04-01, and search again for later days."
                )
        return lower, self.upper


def bounds(value: str) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """[lower, upper) of one `start` value: `eq` (the default) the whole range of its
    precision, `ge` from its start, `gt` from its end (gt2030-03-04 is from the 5th), `le` up
    to its end, `lt` up to its start."""
    match = _VALUE.fullmatch(value)
    if not match:
        raise BadRequest(f"start: '{value[:40]}' is not a date or a time: {_FORMAT}.")
    prefix = match["prefix"] or "eq"
    if prefix not in PREFIXES:
        raise BadRequest(
            f"start: the prefix '{prefix}' is not supported; use one of {', '.join(PREFIXES)}.",
            code="not-supported",
        )
    if match["month"] is None:
        raise BadRequest(
            f"start: '{value[:40]}' is a whole year; a search covers at most {MAX_DAYS} days: "
            f"{_FORMAT}."
        )
    try:
        first, last = _range(match)
    except (ValueError, OverflowError):
        raise BadRequest(f"start: '{value[:40]}' is not a date or time of the calendar.") from None
    return {
        "eq": (first, last),
        "ge": (first, None),
        "gt": (last, None),
        "le": (None, last),
        "lt": (None, first),
    }[prefix]


def _range(match: re.Match) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants [first, last) the value names, to its precision."""
    year, month = int(match["year"]), int(match["month"])
    if match["day"] is None:
        start = datetime.datetime(year, month, 1)
        following = datetime.datetime(year + month // 12, month % 12 + 1, 1)
        return _aware(start, None), _aware(following, None)
    day = datetime.datetime(year, month, int(match["day"]))
    if match["hour"] is None:
        return _aware(day, None), _aware(day + datetime.timedelta(days=1), None)
    moment = day.replace(hour=int(match["hour"]), minute=int(match["minute"]))
    step = datetime.timedelta(minutes=1)
    if match["second"] is not None:
        moment = moment.replace(second=int(match["second"]))
        step = datetime.timedelta(seconds=1)
        if match["fraction"] is not None:
            moment = moment.replace(microsecond=int(match["fraction"].ljust(6, "0")))
            step = datetime.timedelta(microseconds=1)
    first = _aware(moment, match["zone"])
    return first, first + step


def _aware(moment: datetime.datetime, zone: str | None) -> datetime.datetime:
    if zone is None:
        return timezone.make_aware(moment, timezone.get_default_timezone())
    return datetime.datetime.fromisoformat(moment.isoformat() + ("+00:00" if zone == "Z" else zone))
