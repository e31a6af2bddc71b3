"""Bulk loading through PostgreSQL's COPY: the one way big sets of rows reach a table.

The demo hospital and the workbook import both stream their rows with
`COPY table (columns) FROM STDIN` over psycopg's `cursor.copy()`: one statement whatever the
number of rows, and no SQL per row. The cost left is the table's own (indexes, constraints and
triggers), paid inside PostgreSQL.

Both functions take a psycopg cursor (`connection.cursor().cursor` of Django's connection, or
`connection.connection.cursor()`) and run inside whatever transaction that connection holds:
a failed COPY loads nothing and leaves the transaction failed. Parallel loaders each use their
own connection (Django's `connection` is per thread), so each thread passes its own cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from psycopg import sql

NULL = "\\N"  # a NULL field in COPY's text format
PROGRESS_EVERY = 100_000  # rows between two calls of copy_rows' progress


def copy_statement(table: str, columns: Sequence[str]) -> sql.Composed:
    """`COPY "table" ("column", ...) FROM STDIN`, every name quoted (`end` is a keyword)."""
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def copy_rows(
    cursor,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = PROGRESS_EVERY,
) -> int:
    """COPY rows of Python values, one value per column, and return how many were written.

    psycopg adapts each value (dates, datetimes, decimals, booleans) and escapes tabs,
    newlines and backslashes in text; None becomes NULL. `progress(count)` is called after
    every `every` rows, for long loads.
    """
    count = 0
    with cursor.copy(copy_statement(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
            if progress and count % every == 0:
                progress(count)
    return count


def copy_lines(
    cursor, table: str, columns: Sequence[str], lines: Iterable[str], *, batch: int = 5_000
) -> int:
    """COPY lines already in COPY's text format, and return how many were written.

    Each line holds one row: fields separated by tabs, NULL as `NULL` ("\\N"), a tab, newline
    or backslash inside a field escaped with a backslash, and the line ends with a newline.
    The fastest way in when the caller builds the text itself (the demo makes millions of
    rows): nothing is adapted per value, and lines are sent `batch` at a time.
    """
    count = 0
    with cursor.copy(copy_statement(table, columns)) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) == batch:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))
            count += len(chunk)
    return count


def refresh_statistics(cursor, tables: Sequence[str] | None = None) -> None:
    """ANALYZE `tables` (every table when None) after a bulk load, inside the current
    transaction, so its new rows count.

    Through `core_refresh_statistics` (core migration 0004), which runs as the schema's owner:
    the application's role owns no table, and PostgreSQL skips an ANALYZE by anyone else. Takes
    a Django or a psycopg cursor.
    """
    cursor.execute("SELECT core_refresh_statistics(%s)", [None if tables is None else list(tables)])
