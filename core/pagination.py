"""Reading a page number from the query string, the same way on every list."""

from __future__ import annotations

# Past any real list, and low enough that the page's OFFSET fits PostgreSQL's bigint.
MAX_PAGE = 1_000_000


def page_number(raw: str | None, *, maximum: int = MAX_PAGE) -> int:
    """The page asked for. Anything but ASCII digits ("abc", "-2", "²") is page 1; a number
    past `maximum` is `maximum` (an empty page, never an OFFSET the database refuses)."""
    if raw and raw.isascii() and raw.isdigit() and int(raw) > 0:
        return min(int(raw), maximum)
    return 1
