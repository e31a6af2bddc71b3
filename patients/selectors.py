"""Reads on patients: the front desk's one-box search and duplicate detection.

Every name condition is written on exactly the expressions of the trigram indexes of
`patients.models.Patient` (`patients_name_trgm`, `patients_last_name_trgm`), so PostgreSQL
answers from the index instead of reading the table; `tests/patients/test_search.py` and
the benchmark check the plans with EXPLAIN.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Concat, Lower
from django.utils import formats

from core.search import Unaccent
from patients.models import Patient

# pg_trgm needs three characters to pick rows from an index; shorter name searches would
# read the whole index, so they are refused with a hint.
MIN_NAME_LENGTH = 3
PAGE_SIZE = 25
# A search reads and ranks at most this many matching patients (see patient_search).
MAX_RANKED = 200
DUPLICATE_LIMIT = 10
CLOSE_NAME = 0.5  # trigram similarity of two full names that may be one person misspelt
_PHONE = re.compile(r"^\+?[\d\s().-]+$")
# Letters then digits, no space (P0001234, HN-88213): looked up as an MRN only.
_MRN = re.compile(r"^[A-Za-z]{1,4}-?\d{3,}$")


def name_expression():
    """`hms_unaccent(lower(first_name || ' ' || last_name))`: the expression of the
    `patients_name_trgm` index, built the same way so the planner recognises it."""
    return Unaccent(Lower(Concat("first_name", Value(" "), "last_name")))


def last_name_expression():
    """`hms_unaccent(lower(last_name))`: the expression of `patients_last_name_trgm`."""
    return Unaccent(Lower("last_name"))


def normalised(text) -> Unaccent:
    """A search term folded like the indexed names (in SQL, so both use one unaccent)."""
    return Unaccent(Lower(Value(text)))


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    date: datetime.date | None
    phone: str | None
    name: str | None  # None when too short to search by name, or an MRN

    mrn_shaped: bool = False

    @property
    def too_short(self) -> bool:
        return bool(self.text) and not (self.date or self.phone or self.name or self.mrn_shaped)


def parse_query(query: str) -> ParsedQuery:
    """What one search box holds: a date of birth (the site's date formats or ISO), a phone
    number (3+ digits), letters then digits (an MRN only), otherwise a name (3+ characters);
    an MRN is tried in every case."""
    text = " ".join((query or "").split())[:100]
    date = _parse_date(text)
    digits = sum(ch.isdigit() for ch in text)
    phone = text if date is None and _PHONE.match(text) and digits >= 3 else None
    mrn_shaped = bool(_MRN.match(text))
    long_enough = len(text.replace(" ", "")) >= MIN_NAME_LENGTH
    name = text if not (date or phone or mrn_shaped) and long_enough else None
    return ParsedQuery(text=text, date=date, phone=phone, name=name, mrn_shaped=mrn_shaped)


def _parse_date(text: str) -> datetime.date | None:
    if not text or not any(ch.isdigit() for ch in text):
        return None
    for fmt in ("%Y-%m-%d", *formats.get_format("DATE_INPUT_FORMATS")):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except (ValueError, TypeError):
            continue
    return None


def patient_search(*, query: str, include_inactive: bool = False) -> QuerySet[Patient]:
    """Patients matching one search box, best match first, each with a `rank` and `matches`
    (how many were ranked: at most MAX_RANKED, see below).

    - MRN: exact (also upper-cased), through the unique index; always ranked first.
    - Date of birth: equality on `patients_dob_idx`.
    - Phone: substring on `patients_phone_trgm`.
    - Name: every word of the query (3+ characters) must match, accent- and case-blind: a
      substring of "first last" (`LIKE`), a near word of it (`%>`, word similarity ≥ 0.6) or
      a near last name (`%`, similarity ≥ 0.3: "smiht" finds Smith). The trigram indexes
      answer each word (a BitmapOr) and PostgreSQL intersects them (a BitmapAnd).

    Cost: index scans, then at most MAX_RANKED matching rows are read and ranked, so a
    search costs the same with a thousand patients or a million; a query matching more
    says so (`matches` = MAX_RANKED) and asks for more detail instead of paging forever.
    """
    parsed = parse_query(query)
    if not parsed.text:
        return Patient.objects.none()
    mrns = sorted({parsed.text, parsed.text.upper()})
    rank = Value(1.0, output_field=FloatField())
    candidates = Patient.objects.all()
    if not include_inactive:
        candidates = candidates.filter(is_active=True)
    if parsed.date:
        candidates = candidates.filter(date_of_birth=parsed.date)
    elif parsed.phone:
        candidates = candidates.filter(phone__contains=parsed.phone)
    elif parsed.name:
        candidates = candidates.alias(
            search_name=name_expression(), search_last_name=last_name_expression()
        )
        words = [w for w in parsed.name.split() if len(w) >= MIN_NAME_LENGTH] or [parsed.name]
        for word in words:
            term = normalised(word)
            candidates = candidates.filter(
                Q(search_name__contains=term)
                | Q(search_name__trigram_word_similar=term)
                | Q(search_last_name__trigram_similar=term)
            )
        term = normalised(parsed.name)
        rank = TrigramWordSimilarity(term, name_expression()) + TrigramSimilarity(
            name_expression(), term
        )
    else:
        candidates = candidates.none()
    exact = Patient.objects.filter(mrn__in=mrns)
    if not include_inactive:
        exact = exact.filter(is_active=True)
    found = candidates.order_by().values("pk")[:MAX_RANKED].union(exact.order_by().values("pk"))
    return (
        Patient.objects.filter(pk__in=found)
        .annotate(
            rank=Case(When(mrn__in=mrns, then=Value(100.0)), default=rank),
            matches=Window(Count("pk")),
        )
        .order_by("-rank", "last_name", "first_name", "pk")
    )


@dataclass
class Page:
    """One page of a search without counting every match (a count would read them all)."""

    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.items) - 1 if self.items else 0

    @property
    def matches(self) -> int:
        """How many patients were ranked (`patient_search`'s window count)."""
        return getattr(self.items[0], "matches", len(self.items)) if self.items else 0

    @property
    def truncated(self) -> bool:
        """More patients match than a search ranks: the clerk should add detail."""
        return self.matches >= MAX_RANKED


def page_of(queryset: QuerySet, *, number: int, size: int = PAGE_SIZE) -> Page:
    """Rows of page `number` (from 1) and whether another page follows. One query."""
    number = max(1, number)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(items=rows[:size], number=number, has_next=len(rows) > size)


def patient_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None = None,
    phone: str = "",
    exclude_pk: int | None = None,
) -> QuerySet[Patient]:
    """Patients who may be the same person as the one being registered: same last name
    (accent- and case-blind) and date of birth, or same phone number, or a close full name
    born the same year. Deactivated records count too. One query on the trigram, phone and
    date-of-birth indexes; at most DUPLICATE_LIMIT rows, closest first.
    """
    full_name = f"{first_name} {last_name}".strip()
    patients = Patient.objects.alias(
        search_name=name_expression(), search_last_name=last_name_expression()
    )
    condition = Q(pk__in=[])
    if date_of_birth and last_name.strip():
        condition |= Q(search_last_name=normalised(last_name.strip()), date_of_birth=date_of_birth)
    if phone.strip():
        condition |= Q(phone=phone.strip())
    if date_of_birth and full_name:
        # `%` (similarity >= 0.3) lets the trigram index find candidates; a shared first
        # name alone reaches 0.3, so the match must also be close (CLOSE_NAME).
        condition |= Q(
            search_name__trigram_similar=normalised(full_name),
            likeness__gte=CLOSE_NAME,
            date_of_birth__gte=datetime.date(date_of_birth.year, 1, 1),
            date_of_birth__lte=datetime.date(date_of_birth.year, 12, 31),
        )
    if exclude_pk is not None:
        patients = patients.exclude(pk=exclude_pk)
    return (
        patients.annotate(likeness=TrigramSimilarity("search_name", normalised(full_name)))
        .filter(condition)
        .order_by(F("likeness").desc(), "last_name", "first_name", "pk")[:DUPLICATE_LIMIT]
    )


def patient_ids_for_mrns(mrns: Iterable[str]) -> list[int]:
    """The ids of the patients with these MRNs (unknown ones left out). One query on the
    MRN's unique index."""
    wanted = {mrn for mrn in mrns if mrn}
    if not wanted:
        return []
    return list(Patient.objects.filter(mrn__in=wanted).values_list("pk", flat=True))


def patients_by_mrn_or_name(text: str) -> QuerySet[Patient]:
    """Patients whose MRN is `text` (as typed or upper-cased: the MRN's unique index) or,
    for MIN_NAME_LENGTH characters or more, whose "first last" name holds it, accent- and
    case-blind (the trigram index on the full name): a report's patient filter."""
    text = " ".join(text.split())
    match = Q(mrn__in=sorted({text, text.upper()}))
    if len(text) >= MIN_NAME_LENGTH:
        match |= Q(search_name__contains=normalised(text))
    return Patient.objects.alias(search_name=name_expression()).filter(match)
