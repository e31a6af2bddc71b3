"""`manage.py restore PATH`: a backup file back into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hms.backup import BackupError, RestoreReport, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a file written by `manage.py backup` into an EMPTY database (DATABASE_URL) "
        "and MEDIA_ROOT. Every file of the backup is checked against the SHA-256 in its "
        "manifest before anything is written; the database comes back in one transaction. "
        "Prints the rows per table and exits 1 unless they match the backup's manifest."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="a file written by `manage.py backup`")

    def handle(self, *args, path: str, **options) -> None:
        try:
            report = backup_restore(path=Path(path), progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self._print_counts(report)
        if report.unknown:
            self.stderr.write(
                "The backup comes from a newer HMS: its database has migrations this code "
                f"lacks ({', '.join(report.unknown[:5])}). Run the version that wrote it."
            )
        if report.problems:
            raise CommandError(
                "The restored database differs from the backup's manifest:\n  "
                + "\n  ".join(report.problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(report.restored.values()):,} rows in {len(report.restored)} "
                f'tables into "{report.database}" and {report.media_files} uploaded files: '
                "every count matches the backup."
            )
        )
        if report.chain_head is not None:
            self.stdout.write(f"Audit chain head as in the backup: {report.chain_head}")
        if report.unapplied:
            self.stdout.write(
                f"This code has {len(report.unapplied)} migrations newer than the backup: "
                "run `python manage.py migrate` next."
            )

    def _print_counts(self, report: RestoreReport) -> None:
        width = max(len(table) for table in report.tables) if report.tables else 5
        self.stdout.write(f"{'table':<{width}}  {'backup':>10}  {'restored':>10}")
        for table in report.tables:
            expected, restored = report.expected.get(table), report.restored.get(table)
            mark = "" if expected == restored else "  <- differs"
            self.stdout.write(
                f"{table:<{width}}  {_count(expected):>10}  {_count(restored):>10}{mark}"
            )


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
