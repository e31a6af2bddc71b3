"""Backups that restore: `backup_create` writes the database, the uploaded files and a
manifest of their SHA-256s into one file; `backup_restore` brings such a file back into an
empty database and says whether every table has the rows the manifest promises.

Invoice PDFs live in the database (`billing.Invoice.pdf`), so the dump carries them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from hms.backup import archive, database, tools
from hms.backup.tools import BackupError
from hms.dbroles import as_owner, grant_app_privileges

__all__ = ["BackupError", "RestoreReport", "backup_create", "backup_restore"]


@dataclass
class RestoreReport:
    database: str
    expected: dict[str, int]
    restored: dict[str, int]
    media_files: int
    chain_head: Any = None
    restored_chain_head: Any = None
    # Migrations of this code the restored database lacks, and the other way round.
    unapplied: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return sorted(set(self.expected) | set(self.restored))

    @property
    def problems(self) -> list[str]:
        found = [
            f"{table}: {self.expected.get(table, 'no')} rows in the backup, "
            f"{self.restored.get(table, 'no')} restored"
            for table in self.tables
            if self.expected.get(table) != self.restored.get(table)
        ]
        if self.chain_head is not None and self.chain_head != self.restored_chain_head:
            found.append(
                f"audit chain head: {self.chain_head} in the backup, "
                f"{self.restored_chain_head} restored"
            )
        return found


def backup_create(
    *, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Write the backup file `path` (mode 0600) and return its manifest.

    The dump, the row counts, the migration state and the audit chain head all come from one
    snapshot, exported to pg_dump, so they describe one moment even while the hospital works;
    counting the rows reads every table once.
    """
    path = Path(path).absolute()
    if path.is_dir():
        raise BackupError(f"{path} is a folder: name the backup file to write.")
    if path.exists() and not force:
        raise BackupError(
            f"{path} already exists, and a backup never replaces one unless told to: choose "
            "a new name, or add --force."
        )
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("A backup runs outside any transaction: it opens its own snapshot.")
    major = tools.server_major(connection)
    pg_dump = tools.find_program(
        "pg_dump", connection=connection, at_least=major, why=f"the server is PostgreSQL {major}"
    )
    # Beside the target, so the finished file moves into place in one step.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as work:
        dump = Path(work) / archive.DUMP
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            args = ["--format=custom", f"--snapshot={snapshot}", f"--file={dump}"]
            tools.run(pg_dump, args, connection=connection)
            manifest: dict[str, Any] = {
                "format": archive.FORMAT,
                "format_version": archive.FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "database": {**database.server(cursor), "pg_dump_version": pg_dump.version},
                "migrations": database.migrations(cursor),
                "row_counts": database.row_counts(cursor),
                "audit_chain_head": database.audit_chain_head(),
            }
        partial = Path(work) / "backup.partial"
        # 0600 from the start: the file holds every patient's record.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as tar:
                members = {archive.DUMP: archive.add_file(tar, archive.DUMP, dump)}
                for name, media in archive.media_files(Path(settings.MEDIA_ROOT)):
                    members[name] = archive.add_file(tar, name, media)
                manifest["members"] = members
                archive.add_manifest(tar, manifest)
            file.flush()
            os.fsync(file.fileno())
        _publish(partial, path, force=force)
    return manifest


def _publish(partial: Path, path: Path, *, force: bool) -> None:
    """Put the finished file at `path` in one step: nobody ever sees half a backup."""
    if force:
        os.replace(partial, path)
    else:
        try:
            os.link(partial, path)  # unlike a rename, refuses a file that appeared meanwhile
        except FileExistsError as exc:
            raise BackupError(f"{path} appeared while the backup was written.") from exc
        except OSError:  # a file system without hard links
            if path.exists():
                raise BackupError(f"{path} appeared while the backup was written.") from None
            os.rename(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _sha256(path: Path) -> str:
    sha256 = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(archive.CHUNK):
            sha256.update(chunk)
    return sha256.hexdigest()


def backup_restore(
    *,
    path: Path,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str], None] = lambda message: None,
) -> RestoreReport:
    """Restore the backup file `path` into the (empty) database and MEDIA_ROOT.

    Nothing is written before every member matched its SHA-256 and the database proved empty;
    the database comes back in one transaction (all of it or nothing), the files after it.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    # The owner makes the tables (DATABASE_OWNER_URL); the application's role gets its
    # privileges as `migrate` gives them, since the dump carries none (--no-privileges).
    connection = connections[using]
    with connection.cursor() as cursor:
        database.refuse_unless_empty(cursor)
    with as_owner(connection):
        return _restore(path, using, progress)


def _restore(path: Path, using: str, progress: Callable[[str], None]) -> RestoreReport:
    connection = connections[using]
    media_root = Path(settings.MEDIA_ROOT)
    try:
        with tarfile.open(path, mode="r:") as tar, tempfile.TemporaryDirectory() as work:
            manifest = archive.read_manifest(tar, path)
            _refuse_older_server(manifest, connection)
            with connection.cursor() as cursor:
                target = database.server(cursor)["name"]
            progress(f"Checking every file of the backup made {manifest['created_at']}")
            copies = archive.extract_verified(tar, manifest, Path(work), path)
            media = _media_to_restore(copies, manifest, media_root)
            pg_restore = _pg_restore_for(manifest, connection)
            progress(f'Restoring the database into "{target}" with pg_restore {pg_restore.version}')
            args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
            tools.run(pg_restore, [*args, str(copies[archive.DUMP])], connection=connection)
            connection.close()  # it met the empty database; start afresh
            grant_app_privileges(connection)
            progress(f"Restoring {len(media)} uploaded files into {media_root}")
            for copy, destination in media:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(copy, destination)
                os.chmod(destination, 0o600)
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(
            f"{path} cannot be read as a backup ({exc}): nothing was restored."
        ) from exc
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # pg_restore leaves the planner without statistics
        restored = database.row_counts(cursor)
    chain_head = manifest.get("audit_chain_head")
    report = RestoreReport(
        database=target,
        expected=manifest.get("row_counts", {}),
        restored=restored,
        media_files=len(media),
        chain_head=chain_head,
        restored_chain_head=database.audit_chain_head() if chain_head is not None else None,
    )
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied, on_disk = set(loader.applied_migrations), set(loader.disk_migrations)
    report.unapplied = sorted(f"{app}.{name}" for app, name in on_disk - applied)
    report.unknown = sorted(f"{app}.{name}" for app, name in applied - on_disk)
    return report


def _media_to_restore(
    copies: dict[str, Path], manifest: dict[str, Any], media_root: Path
) -> list[tuple[Path, Path]]:
    """(copy, destination) of each uploaded file not already in place; refuses to replace
    a different file of the same name."""
    moves, clashes = [], []
    for name, copy in copies.items():
        if name == archive.DUMP:
            continue
        destination = archive.media_path(name, media_root)
        if not destination.exists():
            moves.append((copy, destination))
        elif destination.is_dir() or _sha256(destination) != manifest["members"][name]["sha256"]:
            clashes.append(str(destination))
    if clashes:
        raise BackupError(
            f"MEDIA_ROOT ({media_root}) already holds {len(clashes)} different files of the "
            f"same names as the backup's ({', '.join(clashes[:3])}…), so nothing was restored. "
            "Restore into an empty folder (HMS_MEDIA_ROOT)."
        )
    return moves


def _refuse_older_server(manifest: dict[str, Any], connection: Any) -> None:
    """PostgreSQL restores a dump into its own or a newer version only (a newer server's
    dump uses settings and syntax an older one rejects)."""
    source = str(manifest["database"]["server_version"])
    major = tools.server_major(connection)
    if tools.major_of(source) > major:
        raise BackupError(
            f"The backup comes from PostgreSQL {source} and this server is PostgreSQL {major}: "
            "PostgreSQL restores into the same or a newer version only, so nothing was "
            "restored. Restore into a server of the backup's version or newer."
        )


def _pg_restore_for(manifest: dict[str, Any], connection: Any) -> tools.Program:
    major = tools.server_major(connection)
    written_by = str(manifest["database"]["pg_dump_version"])
    return tools.find_program(
        "pg_restore",
        connection=connection,
        at_least=max(major, tools.major_of(written_by)),
        why=f"the server is PostgreSQL {major}; the backup was written by pg_dump {written_by}",
    )
