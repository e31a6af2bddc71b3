"""The audit log's hash chain: reading its head and checking it (`manage.py audit_verify`).

On insert, a trigger (core/migrations/0002_auditevent_hash_chain) gives each audit row the
next place in one chain (`chain_seq`, 1, 2, 3, … without gaps), the previous row's hash
(`prev_hash`, sixty-four zeros for the first row) and its own hash:

    row_hash = hex(SHA-256(prev_hash + "\\n" + ROW_TEXT))

where ROW_TEXT is PostgreSQL's jsonb text of the array [id, chain_seq, created_at, updated_at,
actor_id, actor_username, action, object_type, object_id, object_repr, patient_id, changes,
ip_address, path], times as UTC text with microseconds (`2026-01-02T03:04:05.000006Z`).

What the chain catches, and what it cannot:
- A row changed afterwards (with the append-only trigger switched off by the table's owner or a
  superuser) no longer matches its hash.
- A row removed from the middle leaves a gap in the positions; the oldest rows removed, a chain
  that no longer starts at 1.
- A changed row whose hash was recomputed by hand makes the next row disagree: that row's
  `prev_hash` still holds the old hash.
- Only a rewrite of the whole rest of the chain (every later row re-hashed, or the newest rows
  removed) leaves a chain that checks out on its own. That is what the chain head is for: each
  run of `audit_verify` prints and logs it (position and hash), and every backup's manifest
  keeps it (`chain_head()`). `audit_verify --expect-head POSITION:HASH` with a head kept
  earlier (yesterday's log line, last week's backup) finds such a rewrite, because the row at
  that position no longer has that hash, or no longer exists.

The check recomputes every hash in SQL from its own copy of the canonical text (below), not
through the database's `core_auditevent_row_hash` function: someone able to rewrite rows may
also replace a function stored in the same database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection

GENESIS = "0" * 64  # the `prev_hash` of the first row

_UTC_TEXT = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

# The same text and hash as the migration's core_auditevent_row_hash(), for a row named `e`.
ROW_HASH_SQL = f"""encode(sha256(convert_to(
    e.prev_hash || E'\\n' || jsonb_build_array(
        e.id,
        e.chain_seq,
        {_UTC_TEXT.format(column="e.created_at")},
        {_UTC_TEXT.format(column="e.updated_at")},
        e.actor_id,
        e.actor_username,
        e.action,
        e.object_type,
        e.object_id,
        e.object_repr,
        e.patient_id,
        e.changes,
        e.ip_address::text,
        e.path
    )::text,
    'UTF8')), 'hex')"""

# The first row, in chain order up to a head, that breaks the chain; each row is compared with
# the one before it (lag), so the whole walk is one pass in index order that returns one row.
_FIRST_BREAK_SQL = f"""
WITH walk AS (
    SELECT e.id, e.chain_seq, e.created_at, e.prev_hash, e.row_hash,
           lag(e.id) OVER w AS before_id,
           lag(e.chain_seq) OVER w AS before_seq,
           lag(e.row_hash) OVER w AS before_hash,
           {ROW_HASH_SQL} AS recomputed
    FROM core_auditevent e
    WHERE e.chain_seq <= %(last)s
    WINDOW w AS (ORDER BY e.chain_seq)
)
SELECT id, chain_seq, created_at, prev_hash, row_hash, before_id, before_seq, before_hash,
       recomputed
FROM walk
WHERE chain_seq <> coalesce(before_seq, 0) + 1
   OR prev_hash IS DISTINCT FROM coalesce(before_hash, %(genesis)s)
   OR row_hash IS DISTINCT FROM recomputed
ORDER BY chain_seq
LIMIT 1
"""


class ChainHead(NamedTuple):
    """The newest row of the chain: its position and hash. `str()` gives `POSITION:HASH`,
    the form `audit_verify --expect-head` takes."""

    position: int
    hash: str

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        """`POSITION:HASH` back into a head; ValueError when it is not one."""
        position, _, digest = text.strip().partition(":")
        digest = digest.lower()
        if not position.isdigit() or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
            raise ValueError(f"not a chain head (POSITION:HASH, 64 hex digits): {text!r}")
        return cls(int(position), digest)


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold, and what is wrong there."""

    id: int
    position: int
    created_at: datetime.datetime
    problem: str


@dataclass(frozen=True)
class ChainCheck:
    """What `chain_verify` found: the rows checked (the head's position when intact), the
    head, the first break (None when intact) and whether an expected head disagrees."""

    rows: int
    head: ChainHead | None
    broken: ChainBreak | None
    head_problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.head_problem


def chain_head() -> ChainHead | None:
    """The chain's newest row (None while the log is empty). One index lookup."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT chain_seq, row_hash FROM core_auditevent ORDER BY chain_seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return ChainHead(row[0], row[1]) if row else None


def _problem(row: tuple) -> str:
    _id, seq, _at, prev_hash, row_hash, before_id, before_seq, before_hash, recomputed = row
    if before_seq is None and seq != 1:
        return (
            f"the chain starts at position {seq}: positions 1 to {seq - 1} are missing "
            "(the oldest rows were removed)"
        )
    if before_seq is not None and seq == before_seq:
        return f"position {seq} is held twice (also by id {before_id})"
    if before_seq is not None and seq != before_seq + 1:
        missing = f"{before_seq + 1}" if seq == before_seq + 2 else f"{before_seq + 1} to {seq - 1}"
        return (
            f"position {missing} is missing after id {before_id} (position {before_seq}): "
            "rows were removed"
        )
    if prev_hash != (before_hash if before_hash is not None else GENESIS):
        where = f"id {before_id}, position {before_seq}" if before_id else "the genesis"
        return (
            f"its previous hash {prev_hash[:12]}… is not the hash of the row before it "
            f"({where}: {(before_hash or GENESIS)[:12]}…): that row was changed and re-hashed "
            "after the fact"
        )
    return (
        f"its content does not match its hash (stored {row_hash[:12]}…, recomputed "
        f"{recomputed[:12]}…): the row was changed after it was written"
    )


def chain_verify(*, expect: ChainHead | None = None) -> ChainCheck:
    """Walk the chain from position 1 to its current head and return the first break.

    Two queries: the head (one index lookup), then one pass over the unique chain_seq index
    in which PostgreSQL recomputes every hash and sends back at most one row, so memory and
    traffic stay constant however long the log is; the time grows with it (SHA-256 of each
    row). Rows written meanwhile lie past the head and wait for the next run. `expect`, a
    head kept earlier, must still be in the chain with the same hash.
    """
    head = chain_head()
    if head is None:
        broken = None
    else:
        with connection.cursor() as cursor:
            cursor.execute(_FIRST_BREAK_SQL, {"last": head.position, "genesis": GENESIS})
            row = cursor.fetchone()
        broken = ChainBreak(row[0], row[1], row[2], _problem(row)) if row else None
    return ChainCheck(
        rows=head.position if head else 0,
        head=head,
        broken=broken,
        head_problem=_head_problem(expect, head) if expect else "",
    )


def _head_problem(expect: ChainHead, head: ChainHead | None) -> str:
    if head is None or head.position < expect.position:
        now = f"position {head.position}" if head else "an empty log"
        return (
            f"the expected head {expect.position} is past the chain's end ({now}): "
            "the newest rows were removed"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_hash FROM core_auditevent WHERE chain_seq = %s", [expect.position]
        )
        row = cursor.fetchone()
    if row is None:
        return f"position {expect.position} of the expected head is missing"
    if row[0] != expect.hash:
        return (
            f"the row at position {expect.position} now has hash {row[0][:12]}…, not the "
            f"expected {expect.hash[:12]}…: the chain up to there was rewritten"
        )
    return ""
