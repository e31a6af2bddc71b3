"""FHIR date and dateTime values, read once for every moment search (Appointment, Invoice,
AuditEvent, Slot...): each names the instants of its precision, in the hospital's zone unless
it says its own."""

import datetime

import pytest
from django.utils import timezone

from fhir.errors import BadRequest
from fhir.search import moment


def local(*parts) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*parts))


@pytest.mark.parametrize(
    "value, first, end, precision",
    [
        ("2030", local(2030, 1, 1), local(2031, 1, 1), "year"),
        ("2030-02", local(2030, 2, 1), local(2030, 3, 1), "month"),
        ("2030-03-04", local(2030, 3, 4), local(2030, 3, 5), "day"),
        ("2030-03-04T09:00", local(2030, 3, 4, 9), local(2030, 3, 4, 9, 1), "time"),
        ("2030-03-04T09:00:30", local(2030, 3, 4, 9, 0, 30), local(2030, 3, 4, 9, 0, 31), "time"),
        (
            "2030-03-04T09:00:00Z",
            datetime.datetime(2030, 3, 4, 9, tzinfo=datetime.UTC),
            datetime.datetime(2030, 3, 4, 9, 0, 1, tzinfo=datetime.UTC),
            "time",
        ),
        (
            "2030-03-04T09:00:00.5+01:00",
            datetime.datetime(2030, 3, 4, 8, 0, 0, 500000, tzinfo=datetime.UTC),
            datetime.datetime(2030, 3, 4, 8, 0, 0, 500001, tzinfo=datetime.UTC),
            "time",
        ),
    ],
)
def test_a_value_names_the_instants_of_its_precision(value, first, end, precision):
    for prefix in ("", "ge"):
        asked = moment(prefix + value, param="date")
        assert (asked.first, asked.end, asked.precision) == (first, end, precision)
        assert asked.prefix == (prefix or "eq")


@pytest.mark.parametrize(
    "value, says",
    [
        ("tomorrow", "is not a date or a time"),
        ("2030-13", "is not a date of the calendar"),
        ("2030-03-04T25:00", "is not a date or time of the calendar"),
        ("ap2030", "the prefix 'ap' is not supported"),
    ],
)
def test_a_value_that_is_no_moment_says_what_to_write(value, says):
    with pytest.raises(BadRequest) as refused:
        moment(value, param="date")
    assert says in refused.value.diagnostics
    assert refused.value.diagnostics.startswith("date: ")
