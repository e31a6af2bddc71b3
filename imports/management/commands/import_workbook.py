"""`python manage.py import_workbook PATH [--dry-run] [--creations-only]
[--resolve KIND:ID=ANSWER ...]`: the seed-shaped hospital workbook."""

import re
import time

from django.core.management.base import BaseCommand, CommandError

from imports.matching import EVERY, Resolution, conflict_id
from imports.services import workbook_import

_RESOLVE = re.compile(r"^(patient|doctor):([^=]+)=(keep_both|same_person|skip)$")

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
        "on record already agrees with it. Times are in the hospital's zone (HMS_TIME_ZONE). "
        "An ID that may name the wrong record (the MRN of a patient registered in the system, "
        "other name, sex or date of birth; a doctor created in the system under another name) "
        "is a conflict: it and the rows that use it are left out unless --resolve answers it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="hospital.xlsx or a folder of CSV files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the workbook and show what would change, without writing anything",
        )
        parser.add_argument(
            "--creations-only",
            action="store_true",
            help=(
                "write the new records only: no record already in the system is changed (its "
                "updates, and the new records that need one, are held back and counted)"
            ),
        )
        parser.add_argument(
            "--resolve",
            action="append",
            default=[],
            metavar="KIND:ID=ANSWER",
            help=(
                "answer a conflict: patient:P0000005=keep_both (import the workbook's person "
                "as a new record with the system's next number) or =same_person (update the "
                "record in the system); patient:*=keep_both answers every patient conflict "
                "without an answer of its own. Repeat for more."
            ),
        )

    def handle(
        self,
        *args,
        path: str,
        dry_run: bool,
        creations_only: bool,
        resolve: list[str],
        **options,
    ) -> None:
        started = time.monotonic()
        resolutions = {}
        for answer in resolve:
            match = _RESOLVE.match(answer.strip())
            if match is None or (match[2] == EVERY and match[3] == Resolution.SAME_PERSON):
                raise CommandError(
                    f"--resolve {answer}: expected patient:ID=keep_both, doctor:ID=same_person, "
                    "patient:*=keep_both and the like"
                )
            resolutions[conflict_id(match[1], match[2])] = match[3]

        def progress(message: str) -> None:
            self.stdout.write(f"… {time.monotonic() - started:6.1f} s  {message}")
            self.stdout.flush()

        report = workbook_import(
            path_or_file=path,
            dry_run=dry_run,
            progress=progress,
            resolutions=resolutions,
            apply_updates=not creations_only,
        )
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
        for line in report.conflict_lines()[:MAX_WARNINGS]:
            self.stdout.write(self.style.WARNING(f"Conflict: {line}"))
        if len(report.conflicts) > MAX_WARNINGS:
            more = len(report.conflicts) - MAX_WARNINGS
            self.stdout.write(self.style.WARNING(f"… and {more:,} more conflicts."))
        for line in report.count_lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.outcome())
        self.stdout.write(self.style.SUCCESS(report.outcome()))
