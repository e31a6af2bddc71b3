"""The window of time a Slot search covers, from its `start` values: FHIR dates and dateTimes
with a prefix, each the range of its precision (a day, a minute...), intersected, from now on
and at most MAX_DAYS hospital days long. Dates and zone-less times are the hospital's
(HMS_TIME_ZONE), as its day is."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from appointments.selectors import local_date
from fhir.errors import BadRequest
from fhir.search import moment

# The longest window one search covers, in hospital days (a month, whichever).
MAX_DAYS = 31


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
    asked = moment(value, param="start")
    if asked.precision == "year":
        raise BadRequest(
            f"start: '{value[:40]}' is a whole year; a search covers at most {MAX_DAYS} days: "
            "give a month, a day or a time."
        )
    return {
        "eq": (asked.first, asked.end),
        "ge": (asked.first, None),
        "gt": (asked.end, None),
        "le": (None, asked.end),
        "lt": (None, asked.first),
    }[asked.prefix]
