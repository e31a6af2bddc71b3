"""Ages in whole years, and the date of birth an age gives: one rule for the registration
form (its "Age (years)" field) and the workbook import (its `Age` column), so a patient whose
age alone is known gets the same estimated date of birth whichever way they came in."""

from __future__ import annotations

import datetime

# No one is older; 1 January of (this year - 125) stays inside the dates forms take (1900 on).
OLDEST_AGE = 125


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day` of a person born on `born`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def estimated_birth_date(age: int, today: datetime.date) -> datetime.date:
    """The estimated date of birth of someone `age` years old: 1 January of (this year − age).

    Such a person is `age` today whatever today is (1 January is every year's first birthday),
    and at most a year off; the patient's record marks the date as estimated
    (`Patient.dob_is_estimated`). The workbook import uses it for an `Age` too.
    """
    return datetime.date(today.year - age, 1, 1)
