"""What a backup records of its database (read in the dump's own snapshot), and the checks a
restore makes of its target."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction
from django.db.backends.utils import CursorWrapper

from core import audit
from hms.backup.tools import BackupError

# Every table the database's own objects hold: not the catalogs, not an extension's tables.
_TABLES = r"""
    SELECT n.nspname, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
      AND NOT EXISTS (
          SELECT 1 FROM pg_depend d
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
      )
    ORDER BY 1, 2
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(cursor: CursorWrapper) -> list[tuple[str, str]]:
    cursor.execute(_TABLES)
    return [(schema, name) for schema, name in cursor.fetchall()]


def row_counts(cursor: CursorWrapper) -> dict[str, int]:
    """Rows per table, named as in psql (`schema.table` outside `public`): one count(*) each,
    so a scan of every table."""
    counts = {}
    for schema, name in tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {_quote(schema)}.{_quote(name)}")
        label = name if schema == "public" else f"{schema}.{name}"
        counts[label] = cursor.fetchone()[0]
    return counts


def migrations(cursor: CursorWrapper) -> dict[str, list[str]]:
    """The applied migrations, per app (Django's own record of the schema's state)."""
    cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def server(cursor: CursorWrapper) -> dict[str, Any]:
    cursor.execute("SELECT current_database(), current_setting('server_version')")
    name, version = cursor.fetchone()
    return {"name": name, "server_version": version}


def audit_chain_head() -> str | None:
    """The audit log's chain head as `POSITION:HASH` (what `audit_verify --expect-head`
    takes) when the log is hash-chained (`core.audit.chain_head`); None otherwise."""
    chain_head = getattr(audit, "chain_head", None)
    if chain_head is None:
        return None
    try:
        with transaction.atomic():  # a savepoint: the backup's snapshot stays usable
            head = chain_head()
    except DatabaseError:  # a database whose migrations stop before the chain
        return None
    return None if head is None else str(head)


def refuse_unless_empty(cursor: CursorWrapper) -> None:
    """A restore writes into an empty database only: it never merges with or replaces data."""
    found = tables(cursor)
    if not found:
        return
    name = server(cursor)["name"]
    applied = sum(len(names) for names in migrations(cursor).values())
    holds = f"{len(found)} tables" + (f" and {applied} applied migrations" if applied else "")
    raise BackupError(
        f'The database "{name}" is not empty: it has {holds}. A backup is restored into an '
        "empty database only, so nothing was changed. Create a new database (e.g. "
        "`createdb -O ROLE hms_restored`), point DATABASE_URL at it and restore again."
    )
