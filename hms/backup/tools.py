"""PostgreSQL's own programs for backups: which pg_dump or pg_restore, and how to run them.

A pg_dump older than the server refuses to dump it, and a pg_restore older than the pg_dump
that wrote an archive cannot read it, so the programs are chosen by version: `HMS_PG_BIN` when
set; the embedded wheel's own programs when the embedded server is in use; else the first of
Debian's folder for the server's version, the `PATH`, Debian's other versions and the wheel's
programs that is recent enough.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from hms import embedded

DEBIAN_VERSIONS = Path("/usr/lib/postgresql")
# pg_restore prints every error of a failed run; the last ones say what went wrong.
ERROR_TAIL = 3000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Program:
    path: Path
    version: str

    @property
    def major(self) -> int:
        return major_of(self.version)


def major_of(version: str) -> int:
    """15 for '15.13 (Debian 15.13-0+deb12u1)', 18 for '18devel'."""
    match = re.match(r"\s*(\d+)", version)
    if not match:
        raise BackupError(f"Not a PostgreSQL version: {version!r}.")
    return int(match.group(1))


def server_major(connection: BaseDatabaseWrapper) -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def program_version(path: Path) -> str | None:
    """'15.13' for a pg_dump that prints 'pg_dump (PostgreSQL) 15.13 (Debian …)'."""
    try:
        result = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s*(\d+(?:\.\d+)?)", result.stdout)
    return match.group(1) if match else None


def _candidates(name: str, connection: BaseDatabaseWrapper, major: int) -> list[Path]:
    if settings.HMS_PG_BIN:
        return [Path(settings.HMS_PG_BIN) / name]
    if connection.settings_dict.get("EMBEDDED"):
        return [embedded.bin_dir() / name]
    found = [DEBIAN_VERSIONS / str(major) / "bin" / name]
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    if DEBIAN_VERSIONS.is_dir():
        others = [p for p in DEBIAN_VERSIONS.iterdir() if p.name.isdigit()]
        for folder in sorted(others, key=lambda p: int(p.name), reverse=True):
            found.append(folder / "bin" / name)
    found.append(embedded.bin_dir() / name)
    return found


def find_program(name: str, *, connection: BaseDatabaseWrapper, at_least: int, why: str) -> Program:
    """The first `name` (pg_dump, pg_restore) of version `at_least` or newer; `why` names
    what asks for that version, for the message when there is none."""
    tried = []
    for path in dict.fromkeys(_candidates(name, connection, server_major(connection))):
        if not path.is_file():
            continue
        version = program_version(path)
        if version is None:
            tried.append(f"{path} (does not run)")
            continue
        program = Program(path=path, version=version)
        if program.major >= at_least:
            return program
        tried.append(f"{path} ({version})")
    if settings.HMS_PG_BIN and not tried:
        tried.append(f"none in HMS_PG_BIN ({settings.HMS_PG_BIN})")
    raise BackupError(
        f"This needs {name} of PostgreSQL {at_least} or newer ({why}): an older one cannot "
        f"do it. Found: {'; '.join(tried) or 'none'}. Install PostgreSQL {at_least}'s client "
        f"programs (Debian: postgresql-client-{at_least}) or set HMS_PG_BIN to the folder "
        f"holding a recent enough {name}."
    )


def run(program: Program, args: list[str], *, connection: BaseDatabaseWrapper) -> None:
    """Run pg_dump or pg_restore on the database of `connection`, as its role.

    The password travels in the environment, never on the command line (which other users
    of the machine can read).
    """
    keywords = {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}
    params = {
        key: str(value)
        for key, value in connection.get_connection_params().items()
        if key in keywords and value not in (None, "")
    }
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    dsn = psycopg.conninfo.make_conninfo(**params)
    result = subprocess.run(
        [str(program.path), f"--dbname={dsn}", "--no-password", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        errors = result.stderr.strip()[-ERROR_TAIL:]
        raise BackupError(
            f"{program.path.name} {program.version} failed (exit status {result.returncode}):"
            f"\n{errors}"
        )
