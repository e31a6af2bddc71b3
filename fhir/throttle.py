"""Requests per minute per caller, counted in PostgreSQL so that every web process (gunicorn
workers, several machines) counts against the same number: one UPSERT per request on the
caller's row, which holds the current minute and its count. The minute is the database's
clock, so the processes' own clocks do not matter."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from fhir.errors import Throttled
from fhir.models import RateWindow

_TABLE = RateWindow._meta.db_table
# The row's minute moves on when the database's clock has; the count starts again then.
# Retry-After: the seconds left of the minute, rounded up.
_HIT = f"""
    INSERT INTO {_TABLE} AS w (bucket, window_start, hits, created_at, updated_at)
    VALUES (%s, date_trunc('minute', clock_timestamp()), 1, clock_timestamp(), clock_timestamp())
    ON CONFLICT (bucket) DO UPDATE SET
        hits = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.hits + 1 ELSE 1 END,
        window_start = EXCLUDED.window_start,
        updated_at = EXCLUDED.updated_at
    RETURNING hits,
        greatest(1, ceil(extract(epoch FROM
            window_start + interval '1 minute' - clock_timestamp())))::integer
"""


def throttle(bucket: str) -> None:
    """Count one request of `bucket`; past settings.HMS_FHIR_RATE this minute, Throttled
    (429 with Retry-After). Costs one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_HIT, [bucket])
        hits, retry_after = cursor.fetchone()
    limit = settings.HMS_FHIR_RATE
    if hits > limit:
        raise Throttled(limit=limit, retry_after=retry_after)
