"""Numbers typed into a URL's query, a form or a JSON body, read without a surprise.

`str.isdigit()` also accepts digits such as "²" or "٣" that `int()` refuses, and `int()` of a
long enough string of digits raises or yields a number past every database column: each of
those ends in a 500 where it is not checked. Read such values here.
"""

from __future__ import annotations

# A bigint holds 19 digits; 18 always fit.
ID_DIGITS = 18


def is_digits(raw: object, *, at_most: int = ID_DIGITS) -> bool:
    """`raw` is a string of 1 to `at_most` ASCII digits."""
    return isinstance(raw, str) and 0 < len(raw) <= at_most and raw.isascii() and raw.isdigit()


def record_id(raw: object, *, at_most: int = ID_DIGITS) -> int | None:
    """The whole number `raw` spells in ASCII digits (at most `at_most` of them), else None."""
    return int(raw) if is_digits(raw, at_most=at_most) else None
