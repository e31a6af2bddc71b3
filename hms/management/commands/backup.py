"""`manage.py backup PATH`: the database, the uploaded files and a manifest in one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hms.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one backup file: a pg_dump of the database (invoice PDFs included), the "
        "uploaded files under MEDIA_ROOT and manifest.json (migration state, rows per table, "
        "the SHA-256 of every file). The file is readable by its owner only (it holds every "
        "patient's record) and never replaces an existing file unless --force. "
        "`manage.py restore PATH` brings it back into an empty database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the backup file to write, e.g. hms-2025-01-31.tar")
        parser.add_argument("--force", action="store_true", help="replace PATH if it exists")

    def handle(self, *args, path: str, force: bool, **options) -> None:
        try:
            manifest = backup_create(path=Path(path), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = manifest["row_counts"]
        media = len(manifest["members"]) - 1
        db = manifest["database"]
        self.stdout.write(
            f'Backed up the database "{db["name"]}" (PostgreSQL {db["server_version"]}): '
            f"{sum(counts.values()):,} rows in {len(counts)} tables, and {media} uploaded "
            f"files, into {path} ({Path(path).stat().st_size:,} bytes)."
        )
        if manifest["audit_chain_head"] is not None:
            self.stdout.write(f"Audit chain head: {manifest['audit_chain_head']}")
