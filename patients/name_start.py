"""Patients by the start of their names, a page at a time, in name order: the search other
systems make (FHIR's `Patient?name=`: a name "matches if it equals or starts with the value,
ignoring case and accents").

Two b-tree indexes hold the names folded as the search folds them, in byte order
(`patients_family_given_idx`: family, given, id; `patients_given_family_idx`: given, family,
id). The patients whose family name starts with the first word are one range of the first,
read from the page's key on; those whose given name does, one range of the second; the two
pages are merged. A page therefore costs the same with ten thousand patients or a million,
and the ten-thousandth page what the first does: no patient is read that the page does not
show, except those the other words (or the caller's conditions) leave out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Collate, Concat, Lower

from core.pagination import RowCompare
from core.search import Unaccent
from patients.models import Patient

# The order a page is read in, and a patient's key in it: the name that starts with the
# first word, the other name, the id. Each row of `patients_by_name_start` has them.
KEY = ("name_first", "name_second", "pk")


def family_key() -> Collate:
    """`hms_unaccent(lower(last_name)) COLLATE "C"`, as `patients_family_given_idx` has it."""
    return Collate(Unaccent(Lower("last_name")), "C")


def given_key() -> Collate:
    """`hms_unaccent(lower(first_name)) COLLATE "C"`, as `patients_given_family_idx` has it."""
    return Collate(Unaccent(Lower("first_name")), "C")


def _folded(word: str) -> Unaccent:
    return Unaccent(Lower(Value(word)))


def _holds(word: str) -> Q:
    """A name, or a part of one after a space or hyphen, starts with `word`."""
    term = _folded(word)
    condition = Q(family__startswith=term) | Q(given__startswith=term)
    for mark in (" ", "-"):
        part = Concat(Value(mark), term)
        condition |= Q(family__contains=part) | Q(given__contains=part)
    return condition


def patients_by_name_start(
    *,
    words: Sequence[str],
    within: QuerySet[Patient] | None = None,
    after: Sequence[Any] | None = None,
    limit: int,
) -> list[Patient]:
    """At most `limit` patients of `within` (default: all) whose family or given name starts
    with the first of `words`, and whose names hold each other word at the start of a name
    or of a part of one; accent- and case-blind; in the order of KEY, those after the key
    `after` (None: from the first). Each patient has `name_first` and `name_second` (KEY)."""
    first, *others = [word for word in words if word.strip()]
    base = (within if within is not None else Patient.objects.all()).alias(
        family=family_key(), given=given_key()
    )
    for word in others:
        base = base.filter(_holds(word))
    term = _folded(first)
    by_family = base.filter(family__startswith=term).annotate(
        name_first=family_key(), name_second=given_key()
    )
    # A patient whose family and given names both start with the word is read once, here
    # by the family name.
    by_given = (
        base.filter(given__startswith=term)
        .exclude(family__startswith=term)
        .annotate(name_first=given_key(), name_second=family_key())
    )
    rows: list[Patient] = []
    for branch in (by_family, by_given):
        if after is not None:
            branch = branch.filter(RowCompare(KEY, ">", list(after)))
        rows.extend(branch.order_by(*KEY)[:limit])
    rows.sort(key=lambda patient: (patient.name_first, patient.name_second, patient.pk))
    return rows[:limit]
