"""The ICD-10-CM code set: every billable code and its title, what a condition is coded with.

The table is reference data, loaded by the migration that creates it (patients 0007, from the
`simple-icd-10-cm` package: its billable leaf codes) and read, never written, by the
application. It is not managed by Django's model layer (`managed = False`): the migration
creates it with its own SQL, and a flush (`manage.py flush`, the test suite after each
transactional test) leaves the code set in place, as it does the migrations' other reference
rows.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

from django.db import connection, models, transaction

from core.models import TimeStampedModel

SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"

# What a typed code looks like: a letter, a digit, then up to five letters or digits, with or
# without the dot after the third character ("J45", "j45.9", "J45909", "S52.521A").
_CODE_LIKE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]?(\.?[0-9A-Za-z]{0,4})?$")


def code_prefix(text: str) -> str | None:
    """The code (or start of one) `text` names, as stored: upper case, the dot after the
    third character; None when `text` does not look like a code."""
    text = text.strip()
    if not _CODE_LIKE.match(text):
        return None
    bare = text.replace(".", "").upper()
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


MIN_WORD_LENGTH = 3  # fewer letters than a trigram find too much to rank
TYPO_SIMILARITY = 0.4  # how close a title's words must be to what was typed, when misspelt


def fold(text: str) -> str:
    """Lower case without accents ("Sézary" → "sezary"): titles and typed words alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


def icd10_search(*, text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Billable codes for what a doctor typed: `(code, title)` pairs, at most `limit`.

    A code or the start of one ("J45", "j45.9", "J45909") lists the codes it starts, in code
    order: one range of the primary key's byte-order index. Words ("asthma", "severe
    asthm") list the codes whose title holds every word, case and accents aside: first the
    titles where each starts a word (not "antiasthmatics"), then shorter titles (the general
    before the particular), then by code; the trigram GIN index on the folded title (`words`)
    finds the candidates. When no title holds the words, the closest titles by trigram word
    similarity (a typo, "astma") are listed instead, through the same index. Fewer than three
    letters find nothing. One query (three for a typo). The commonest word ("fracture", in
    18,000 titles) costs about 30 ms, a usual one under 5 ms.
    """
    prefix = code_prefix(text)
    if prefix is not None:
        rows = Icd10Code.objects.filter(code__startswith=prefix).order_by("code")[:limit]
        return [(c.code, c.title) for c in rows]
    words = _words(text)
    if not words or sum(len(w) for w in words) < MIN_WORD_LENGTH:
        return []
    contains = " AND ".join(["words LIKE %s"] * len(words))
    starts = " AND ".join(["words LIKE %s"] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT code, title FROM patients_icd10code
            WHERE {contains}
            ORDER BY ({starts}) DESC, length(title), code
            LIMIT %s
            """,
            [*(f"%{w}%" for w in words), *(f"% {w}%" for w in words), limit],
        )
        found = cursor.fetchall()
        if found:
            return found
    phrase = " ".join(words)
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_trgm's default (0.6) misses a letter left out of a short word ("astma": 0.44).
        cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = %s", [TYPO_SIMILARITY])
        cursor.execute(
            """
            SELECT code, title FROM patients_icd10code
            WHERE %s <%% words
            ORDER BY word_similarity(%s, words) DESC, length(title), code
            LIMIT %s
            """,
            [phrase, phrase, limit],
        )
        return cursor.fetchall()


class Icd10Code(TimeStampedModel):
    """A billable ICD-10-CM code ("J45.909") and its title ("Unspecified asthma,
    uncomplicated")."""

    # The primary key's index is in byte order (COLLATE "C"): a typed code's prefix is one
    # range of it (clinical.selectors.icd10_search).
    code = models.CharField(max_length=8, primary_key=True, db_collation="C")
    title = models.CharField(max_length=255)
    # The title folded (`fold`), a space first: what words typed are matched against, with a
    # trigram GIN index (patients_icd10code_words_trgm).
    words = models.CharField(max_length=260, db_collation="C", editable=False)

    class Meta:
        managed = False
        db_table = "patients_icd10code"
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


# --- Loading the code set -------------------------------------------------------------------


def billable_codes() -> list[tuple[str, str]]:
    """Every billable code of the `simple-icd-10-cm` package's release and its title: the
    leaves of its tree (chapters, blocks and categories that have subdivisions are not
    codes a condition is recorded with). About 74,700 pairs; importing the package parses its
    XML (about two seconds)."""
    with warnings.catch_warnings():
        # The package reads its data files with importlib.resources' older functions.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    return [
        (code, cm.get_description(code))
        for code in cm.get_all_codes(with_dots=True)
        if cm.is_leaf(code) and not cm.is_chapter_or_block(code)
    ]


def load_code_set(cursor, codes: list[tuple[str, str]] | None = None) -> int:
    """Replace the table's codes by `codes` (default: the package's billable codes) in one
    COPY, and return how many were written. Codes conditions already carry must stay in the
    set (the foreign key refuses their removal)."""
    from core.bulk import copy_rows

    codes = billable_codes() if codes is None else codes
    cursor.execute(
        "CREATE TEMPORARY TABLE icd10_load (code varchar(8), title varchar(255), words text)"
        " ON COMMIT DROP"
    )
    rows = ((code, title, f" {fold(title)}") for code, title in codes)
    copy_rows(cursor, "icd10_load", ("code", "title", "words"), rows)
    cursor.execute(
        """
        DELETE FROM patients_icd10code c
        WHERE NOT EXISTS (SELECT 1 FROM icd10_load l WHERE l.code = c.code)
        """
    )
    cursor.execute(
        """
        INSERT INTO patients_icd10code (code, title, words, created_at, updated_at)
        SELECT code, title, words, now(), now() FROM icd10_load
        ON CONFLICT (code) DO UPDATE
        SET title = EXCLUDED.title, words = EXCLUDED.words, updated_at = now()
        WHERE patients_icd10code.title IS DISTINCT FROM EXCLUDED.title
        """
    )
    cursor.execute("DROP TABLE icd10_load")
    return len(codes)
