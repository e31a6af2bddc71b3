"""`manage.py report NAME [--format csv|table] [--from DATE] [--to DATE] [--doctor CODE]
[--specialty NAME] [--patient MRN-OR-NAME]`.

Prints a report of the registry to stdout: the same rows as its page and CSV download.
`csv` streams any number of rows at constant memory: the selector reads through a server-side
cursor (`stream=True`), a chunk at a time, and each line is written as its row arrives, inside
a transaction so that PostgreSQL sends the first rows while it is still reading the last (a
cursor outside one is kept past its commit, so the server would run the whole query first).
`table` (the default) lines up the columns for reading, so it holds every row: it refuses a
report of more than --max-rows rows (10,000 unless told) and points at `--format csv`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from core.dates import parse_day
from doctors.models import Doctor, Specialty
from reports.export import csv_lines, text_table
from reports.registry import DOCTOR, FROM, PATIENT, REPORTS, SPECIALTY, TO, Filters


def _date(value: str) -> datetime.date:
    try:
        return parse_day(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


TABLE_ROWS = 10_000


class Command(BaseCommand):
    help = "Print a report (" + ", ".join(REPORTS) + ") as CSV or as a table."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", choices=list(REPORTS), help="The report to print.")
        parser.add_argument("--format", choices=("csv", "table"), default="table")
        parser.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
        parser.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
        parser.add_argument("--doctor", metavar="CODE", help="A doctor's code, e.g. D0001.")
        parser.add_argument("--specialty", metavar="NAME", help="A specialty, e.g. Cardiology.")
        parser.add_argument("--patient", metavar="TEXT", help="An MRN, or part of patients' names.")
        parser.add_argument(
            "--max-rows",
            type=int,
            default=TABLE_ROWS,
            metavar="N",
            help=f"The most rows a table prints (default {TABLE_ROWS:,}); csv has no bound.",
        )

    def handle(self, *args, **options) -> None:
        report = REPORTS[options["name"]]
        given = {
            FROM: options["date_from"],
            TO: options["date_to"],
            DOCTOR: options["doctor"],
            SPECIALTY: options["specialty"],
            PATIENT: options["patient"],
        }
        for name, value in given.items():
            if value is not None and name not in report.filters:
                raise CommandError(f"The {report.name} report takes no --{name}.")
        if given[FROM] and given[TO] and given[TO] < given[FROM]:
            raise CommandError("--to is before --from.")
        doctor = None
        if given[DOCTOR]:
            doctor = Doctor.objects.filter(code=given[DOCTOR]).first()
            if doctor is None:
                raise CommandError(f"No doctor has the code {given[DOCTOR]!r}.")
        specialty = None
        if given[SPECIALTY]:
            specialty = Specialty.objects.filter(name__iexact=given[SPECIALTY]).first()
            if specialty is None:
                known = ", ".join(Specialty.objects.order_by("name").values_list("name", flat=True))
                raise CommandError(f"No specialty {given[SPECIALTY]!r}; there are: {known}.")
        filters = Filters(
            date_from=given[FROM],
            date_to=given[TO],
            doctor=doctor,
            specialty=specialty,
            patient=" ".join((given[PATIENT] or "").split()) or None,
        )
        try:
            if options["format"] == "csv":
                for line in csv_lines(report.rows(filters, stream=True)):
                    self.stdout.write(line, ending="")
            else:
                bound = max(0, options["max_rows"])
                result = report.rows(filters, limit=bound + 1)
                rows = list(result.rows)
                if len(rows) > bound:
                    raise CommandError(
                        f"The {report.name} report has more than {bound:,} rows: a table holds "
                        "them all to line them up. Use --format csv (it streams any number), "
                        "narrow it with its filters (--from, --to, --doctor…), or raise --max-rows."
                    )
                for line in text_table(type(result)(result.columns, rows)):
                    self.stdout.write(line)
            self.stdout.flush()
        except BrokenPipeError:
            # `report … | head`: the reader has seen enough. Point stdout at /dev/null so the
            # interpreter's final flush does not complain, and stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
