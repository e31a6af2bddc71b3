"""Reading one spreadsheet cell: the conventions of the hospital workbook
(`docs/workbook-format.md`).

`None`, `N/A`, `-` and empty cells mean nothing; dates are ISO text or Excel date cells, times
`HH:MM` text or Excel time cells; statuses are case-blind, `No Show` and `No-Show` alike. A cell
that cannot be read raises `CellError` naming its (canonical) column.
"""

from __future__ import annotations

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from appointments.models import AppointmentStatus
from core.dates import EARLIEST, LATEST
from core.nothing import is_nothing
from core.validators import invisible_character, validate_email_address
from imports.queries import micros
from patients.models import Sex

CENT = Decimal("0.01")

_STATUSES = {
    "scheduled": AppointmentStatus.SCHEDULED,
    "checked in": AppointmentStatus.CHECKED_IN,
    "completed": AppointmentStatus.COMPLETED,
    "cancelled": AppointmentStatus.CANCELLED,
    "canceled": AppointmentStatus.CANCELLED,
    "no show": AppointmentStatus.NO_SHOW,
    "noshow": AppointmentStatus.NO_SHOW,
}
_SEXES = {
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
    "male": Sex.MALE,
    "m": Sex.MALE,
    "other": Sex.OTHER,
    "o": Sex.OTHER,
    "unknown": Sex.UNKNOWN,
    "u": Sex.UNKNOWN,
}
# Field lengths of the models the rows land in.
NAME_MAX = 100
PHONE_MAX = 40
EMAIL_MAX = 254
ID_MAX = 20
LEGACY_ID_MAX = 40
DESCRIPTION_MAX = 255
MEDICATION_NAME_MAX = 200
MAX_AGE = 130


class CellError(Exception):
    """A cell that cannot be read: `column` is the canonical column name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def text(value: Any) -> str:
    """A cell as trimmed text; Excel numbers that are whole become `12`, not `12.0`."""
    if type(value) is str:  # every CSV cell: the fast path
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def optional(value: Any) -> str:
    """Trimmed text, or "" for `None`, `N/A`, `-` and blanks."""
    value = text(value)
    # The cells that mean nothing are the ones the billing rule and the chart read as no item.
    return "" if len(value) <= 4 and is_nothing(value) else value


def required(value: Any, column: str, what: str, max_length: int) -> str:
    value = optional(value)
    if not value:
        raise CellError(column, f"{what} is required")
    return limited(value, column, max_length)


def limited(value: Any, column: str, max_length: int) -> str:
    value = optional(value)
    if len(value) > max_length:
        raise CellError(column, f"longer than {max_length} characters")
    char = invisible_character(value)
    if char is not None:
        # A direction override (U+202E) prints "evil" as "live" on every page and invoice.
        raise CellError(
            column, f"holds the invisible character {char}, which changes how the text reads"
        )
    return value


def email(value: Any, column: str) -> str:
    value = limited(value, column, EMAIL_MAX)
    if value:
        try:
            # Non-ASCII letters before the @ are fine (zoë.obrien@example.org, RFC 6531).
            validate_email_address(value)
        except ValidationError:
            raise CellError(column, f"{value!r} is not an email address") from None
    return value


def date(value: Any, column: str) -> datetime.date:
    day = _date(value, column)
    if not EARLIEST <= day <= LATEST:
        raise CellError(column, f"{day.isoformat()} is not a date from 1900 to 2999")
    return day


def _date(value: Any, column: str) -> datetime.date:
    if type(value) is str and len(value) == 10:  # the CSV fast path: 2024-06-28
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass  # reported below
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            raise CellError(column, f"{value} is a date with a time; expected a date")
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into a General cell arrives as Excel's day number.
        from openpyxl.utils.datetime import from_excel

        try:
            return date(from_excel(value), column)
        except (ValueError, OverflowError, TypeError):
            raise CellError(column, f"{value} is not a date") from None
    raw = text(value)
    if not raw:
        raise CellError(column, "a date is required")
    try:
        if len(raw) > 10 and raw[10] in "T ":
            return date(datetime.datetime.fromisoformat(raw), column)
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CellError(column, f"{raw!r} is not a date (expected YYYY-MM-DD)") from None


def time(value: Any, column: str) -> datetime.time:
    if isinstance(value, datetime.datetime):
        # Excel stores a bare time as a moment on 1899-12-30/31.
        return value.time()
    if isinstance(value, datetime.time):
        return value.replace(tzinfo=None)
    if isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(value * 86400)
        return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    raw = text(value)
    if not raw:
        raise CellError(column, "a time is required")
    parsed = _time_text(raw)
    if parsed is None:
        raise CellError(column, f"{raw!r} is not a time (expected HH:MM)")
    return parsed


# A workbook repeats a few dozen times and a few thousand (day, time) pairs; caching their
# conversions makes reading half a million appointments several times faster.
@functools.lru_cache(maxsize=4096)
def _time_text(raw: str) -> datetime.time | None:
    try:
        return datetime.time.fromisoformat(raw)
    except ValueError:
        pass
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I:%M:%S %p"):
        try:
            return datetime.datetime.strptime(raw.upper(), fmt).time()
        except ValueError:
            continue
    return None


def moment(
    day: datetime.date, at: datetime.time, column: str, tz: datetime.tzinfo
) -> tuple[datetime.datetime, int]:
    """The local `day` and `at` in `tz`: an aware UTC datetime, and the same moment in
    microseconds since the epoch (for comparing many quickly)."""
    utc = _utc(day, at, tz)
    if utc is None:
        raise CellError(
            column,
            f"{datetime.datetime.combine(day, at):%Y-%m-%d %H:%M} does not exist in {tz} "
            "(clocks go forward)",
        )
    return utc


@functools.lru_cache(maxsize=65536)
def _utc(
    day: datetime.date, at: datetime.time, tz: datetime.tzinfo
) -> tuple[datetime.datetime, int] | None:
    naive = datetime.datetime.combine(day, at)
    utc = timezone.make_aware(naive, tz).astimezone(datetime.UTC)
    # A local time the clocks skip (spring forward) does not survive the round trip.
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return utc, micros(utc)


def money(value: Any, column: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(column, f"{value} is not an amount")
    if isinstance(value, int | float):
        amount = Decimal(repr(value))
    else:
        raw = optional(value)
        if not raw:
            raise CellError(column, "a cost is required")
        try:
            amount = Decimal(raw.removeprefix("$").replace(",", "").strip())
        except InvalidOperation:
            raise CellError(column, f"{raw!r} is not an amount") from None
    if not amount.is_finite():
        raise CellError(column, f"{value!r} is not an amount")
    if amount < 0:
        raise CellError(column, f"the cost {amount} is negative")
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount >= Decimal("1e10"):
        raise CellError(column, f"the cost {amount} is too large")
    return amount


def age(value: Any, column: str) -> int | None:
    if isinstance(value, bool):
        raise CellError(column, f"{value} is not an age")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        age = value
    else:
        raw = optional(value)
        if not raw:
            return None
        try:
            age = int(raw)
        except ValueError:
            try:
                number = float(raw)
            except ValueError:
                raise CellError(column, f"{raw!r} is not an age in years") from None
            if not number.is_integer():
                raise CellError(column, f"{raw!r} is not a whole number of years") from None
            age = int(number)
    if not 0 <= age <= MAX_AGE:
        raise CellError(column, f"{age} is not a possible age")
    return age


def status(value: Any, column: str) -> str:
    raw = optional(value)
    key = _status_key(raw)
    try:
        return _STATUSES[key]
    except KeyError:
        if not raw:
            raise CellError(column, "a status is required") from None
        raise CellError(
            column, f"unknown status {raw!r} (expected Scheduled, Completed, Cancelled or No-Show)"
        ) from None


@functools.lru_cache(maxsize=256)
def _status_key(raw: str) -> str:
    return " ".join(raw.lower().replace("-", " ").replace("_", " ").split())


def sex(value: Any, column: str) -> str:
    raw = optional(value)
    try:
        return _SEXES[raw.lower()] if raw else Sex.UNKNOWN
    except KeyError:
        raise CellError(
            column, f"unknown gender {raw!r} (expected Female, Male, Other or Unknown)"
        ) from None
