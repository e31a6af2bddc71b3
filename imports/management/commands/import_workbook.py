"""`python manage.py import_workbook PATH [--dry-run]`: the seed-shaped hospital workbook."""

import time

from django.core.management.base import BaseCommand, CommandError

from imports.services import workbook_import

# Warnings do not stop an import; past this many, only their number is shown. (Errors are
# always shown in full.)
MAX_WARNINGS = 100


class Command(BaseCommand):
    help = (
        "Import the hospital workbook: hospital.xlsx, or a folder of CSV files named after the "
        "sheets (Patient, Doctor, Appointment, PatientsAttendAppointments, MedicalHistory, "
        "Medication_Cost). Checks everything first; any problem imports nothing. Importing the "
        "same workbook again changes nothing; changed rows update their records. An Age "
        "becomes an estimated date of birth, 1 January of (this year - Age), unless the date "
        "on record already agrees with it. Times are in the hospital's zone (HMS_TIME_ZONE)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="hospital.xlsx or a folder of CSV files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the workbook and show what would change, without writing anything",
        )

    def handle(self, *args, path: str, dry_run: bool, **options) -> None:
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"… {time.monotonic() - started:6.1f} s  {message}")
            self.stdout.flush()

        report = workbook_import(path_or_file=path, dry_run=dry_run, progress=progress)
        if report.rows_read:
            read = ", ".join(f"{name} {count:,}" for name, count in report.rows_read.items())
            self.stdout.write(f"Read {report.source}: {read} rows.")
        for problem in report.errors:
            self.stderr.write(str(problem))
        for warning in report.warnings[:MAX_WARNINGS]:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if len(report.warnings) > MAX_WARNINGS:
            more = len(report.warnings) - MAX_WARNINGS
            self.stdout.write(self.style.WARNING(f"… and {more:,} more warnings."))
        for line in report.count_lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.outcome())
        self.stdout.write(self.style.SUCCESS(report.outcome()))
