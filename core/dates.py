"""Calendar days in the hospital's time zone, and the years a date may have."""

import datetime

from django.utils import timezone


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of a calendar day in the hospital's time zone."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


# The years any date the hospital types or reads may have. Python's dates end at years 1 and
# 9999, where a page that adds a day or a week to one (a day's bounds, "next week") fails; no
# hospital record is older than 1900 or planned beyond 2999.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)
RANGE_MESSAGE = "Enter a date from 1900 to 2999."


def parse_day(text: str) -> datetime.date:
    """`YYYY-MM-DD` as a date from 1900 to 2999; ValueError (with a message fit for a person)
    otherwise. For text outside a form (a command's argument); forms use
    core.forms.BoundedDateField, which checks the same range."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD).") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{text!r}: {RANGE_MESSAGE}")
    return day
