"""Doctor-workload's working hours, counted per block (its weekdays in the period and in its
validity) rather than listed day by day: the same hours as a walk over every day, whatever
the period, the blocks' weekdays and their validity."""

import datetime
import itertools
from decimal import Decimal

import pytest

from reports import selectors
from tests.factories import DoctorFactory, WorkingHoursFactory
from tests.reports.test_figures import _working_minutes

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def rota():
    """One doctor with a block on every weekday, some valid for part of 2024 only, two on a
    Wednesday; another with no hours at all."""
    doctor = DoctorFactory(code="D0001")
    DoctorFactory(code="D0002")
    t = datetime.time
    blocks = [
        WorkingHoursFactory(doctor=doctor, weekday=0, start_time=t(9), end_time=t(17)),
        WorkingHoursFactory(
            doctor=doctor,
            weekday=1,
            start_time=t(8, 30),
            end_time=t(12, 45),
            valid_from=D(2024, 2, 14),
        ),
        WorkingHoursFactory(
            doctor=doctor,
            weekday=2,
            start_time=t(9),
            end_time=t(12),
            valid_from=D(2023, 12, 1),
            valid_until=D(2024, 3, 6),  # a Wednesday: its last day counts
        ),
        WorkingHoursFactory(
            doctor=doctor, weekday=2, start_time=t(13), end_time=t(15, 10), valid_from=D(2024, 3, 7)
        ),
        WorkingHoursFactory(
            doctor=doctor,
            weekday=3,
            start_time=t(10),
            end_time=t(11),
            valid_from=D(2024, 1, 4),  # a Thursday: its first day counts
            valid_until=D(2024, 1, 4),
        ),
        WorkingHoursFactory(doctor=doctor, weekday=4, start_time=t(7), end_time=t(19)),
        WorkingHoursFactory(
            doctor=doctor,
            weekday=5,
            start_time=t(9),
            end_time=t(10),
            valid_from=D(2024, 6, 1),
            valid_until=D(2024, 6, 30),  # June's Saturdays only
        ),
        WorkingHoursFactory(
            doctor=doctor,
            weekday=6,
            start_time=t(0),
            end_time=t(23, 59),
            valid_from=D(2024, 12, 29),
        ),
    ]
    return blocks


PERIODS = [
    (D(2024, 3, 1), D(2024, 3, 31)),
    (D(2024, 3, 6), D(2024, 3, 6)),  # one day, the last of a block
    (D(2024, 3, 7), D(2024, 3, 7)),  # one day, the first of another
    (D(2024, 1, 4), D(2024, 1, 4)),
    (D(2024, 1, 5), D(2024, 1, 10)),  # less than a week
    (D(2023, 11, 1), D(2023, 11, 30)),  # before most blocks begin
    (D(2023, 12, 20), D(2024, 2, 20)),  # across a year's end and the blocks' edges
    (D(2024, 2, 29), D(2025, 3, 1)),  # a year and more, leap day
    (D(2024, 5, 2), D(2024, 5, 1)),  # ends before it starts
    (D(2024, 6, 29), D(2024, 7, 6)),  # a block's last Saturday, then none
]


@pytest.mark.parametrize(("date_from", "date_to"), PERIODS)
def test_it_counts_each_blocks_days_as_a_walk_over_every_day_would(rota, date_from, date_to):
    rows = {
        r[0]: r for r in selectors.doctor_workload_report(date_from=date_from, date_to=date_to).rows
    }

    working = _working_minutes(rota, date_from, date_to)
    assert rows["D0001"][10] == (working / 60).quantize(Decimal("0.01"))
    assert rows["D0002"][10] == Decimal("0.00")
    assert rows["D0002"][11] is None  # no working hours: no utilization


def test_it_counts_every_start_weekday_and_length_of_period(rota):
    """A period starting on each weekday, 1 to 15 days long: every offset of the first
    working day from the period's start."""
    monday = D(2024, 4, 1)
    for start, length in itertools.product(range(7), range(1, 16)):
        date_from = monday + datetime.timedelta(days=start)
        date_to = date_from + datetime.timedelta(days=length - 1)
        (row,) = selectors.doctor_workload_report(
            date_from=date_from, date_to=date_to, doctor=rota[0].doctor
        ).rows
        working = _working_minutes(rota, date_from, date_to)
        assert row[10] == (working / 60).quantize(Decimal("0.01")), (date_from, date_to)


def test_a_hand_worked_week(rota):
    # Monday 8 h, Tuesday 4 h 15, Wednesday 2 h 10 (from 7 March), Friday 12 h.
    rows = selectors.doctor_workload_report(
        date_from=D(2024, 4, 1), date_to=D(2024, 4, 7), doctor=rota[0].doctor
    ).rows
    assert [r[10] for r in rows] == [Decimal("26.42")]
