"""The one vocabulary for "nothing": what imported workbooks (and people) write in a cell or a
description when there is no medication, no surgery, no value.

Used by the workbook reader (`imports.cells`), the billing rule (`billing.rule`: such an entry
is no item) and the history's billable mark (`patients.models`), so that what is read as
nothing, what is billed and what the chart marks billable never disagree.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.db.models.lookups import In

# Compared trimmed and case-blind.
NOTHING = ("", "none", "n/a", "-")


def is_nothing(text: str) -> bool:
    """`text` says "nothing" (`None`, `N/A`, `-` or blanks). Trims spaces only, as SQL's
    trim() does in `says_nothing`, so a row and its query agree."""
    return text.strip(" ").lower() in NOTHING


def says_nothing(field: str) -> Q:
    """The SQL form of `is_nothing` on a text column: lower(trim(field)) IN NOTHING."""
    return Q(In(Lower(Trim(field)), list(NOTHING)))
