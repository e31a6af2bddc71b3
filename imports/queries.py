"""Reading many records quickly: keys sent as one parameter, timestamps read as integers."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models

# Keys per query when loading the records a workbook names.
CHUNK = 50_000

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


def micros(moment: datetime.datetime | None) -> int | None:
    """A moment as microseconds since the epoch: how timestamps are compared here."""
    return None if moment is None else (moment - EPOCH) // MICROSECOND


def from_micros(value: int | None) -> datetime.datetime | None:
    return None if value is None else EPOCH + value * MICROSECOND


def sql_micros(column: str) -> str:
    # Timestamps cross as integers: psycopg reads those in C, whereas Django's time-zone-aware
    # timestamp loader is Python code that would dominate the time of a large import.
    return f'(EXTRACT(EPOCH FROM "{column}") * 1000000)::bigint'


def chunks(items: Sequence[Any] | Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load(model: type[models.Model], key: str, columns: Sequence[str], keys: Iterable[Any]):
    """Rows (`columns`: SQL expressions) of `model`'s table whose `key` is one of `keys`, one
    query per `CHUNK` keys."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        for chunk in chunks(keys):
            array, params = key_array(chunk)
            cursor.execute(
                f'SELECT {", ".join(columns)} FROM "{table}" WHERE "{key}" = ANY({array})', params
            )
            yield from cursor.fetchall()


_SEPARATOR = "\x1f"  # ASCII unit separator: no spreadsheet ID contains it


def key_array(keys: list[Any]) -> tuple[str, list[str]]:
    """SQL for an array of `keys` (all str or all int) and its one parameter.

    The keys travel as one string split by the server: psycopg quotes a list parameter element
    by element in Python, which costs seconds for the half million keys of a large workbook.
    """
    if keys and isinstance(keys[0], int):
        return "string_to_array(%s, ',')::bigint[]", [",".join(map(str, keys))]
    joined = _SEPARATOR.join(keys)
    if joined.count(_SEPARATOR) != max(len(keys) - 1, 0):
        return "%s", [keys]  # a key holds the separator: send a plain array
    return "string_to_array(%s, chr(31))", [joined]
