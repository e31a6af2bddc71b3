"""Page numbers from the query string: odd input is page 1, huge numbers stop at the cap."""

import pytest

from core.pagination import MAX_PAGE, page_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-2", 1),
        ("0", 1),
        ("²", 1),
        ("1e9", 1),
        ("7", 7),
        ("99999999999999999999", MAX_PAGE),
    ],
)
def test_it_reads_a_page_number(raw, expected):
    assert page_number(raw) == expected


def test_it_stops_at_the_maximum_given():
    assert page_number("12000", maximum=9_999) == 9_999
