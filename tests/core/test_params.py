"""Numbers typed by people and programs: only ASCII digits, never past a database column."""

import pytest

from core.params import is_digits, record_id


@pytest.mark.parametrize("raw", ["0", "7", "42", "9" * 18])
def test_ascii_digits_are_a_number(raw):
    assert record_id(raw) == int(raw) and is_digits(raw)


@pytest.mark.parametrize(
    "raw", ["", "²", "1²", "٣", "-1", "+1", " 1", "1.0", "1e3", "9" * 19, "9" * 5000, None, 7]
)
def test_anything_else_is_none(raw):
    assert record_id(raw) is None and not is_digits(raw)


def test_a_shorter_limit_holds():
    assert record_id("12345", at_most=4) is None and record_id("1234", at_most=4) == 1234
