"""Bringing a hospital's workbook into the system (`python manage.py import_workbook`).

`workbook_import` reads and checks the whole workbook first; only a workbook without a single
problem is written, in one transaction, so an import is all or nothing. The command and the
upload page both call it and show its `ImportReport`. Its updates to records already in the
system are applied only with `apply_updates` (imports.holding: the new records alone
otherwise), and `expect` makes it write only the very plan a check showed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from core import audit
from imports.changes import Change
from imports.holding import has_updates, plan_digest, without_updates
from imports.matching import Resolution, describe
from imports.plan import Counts, build_plan
from imports.risks import assess
from imports.workbook import SHEETS, Problem, read_workbook
from imports.writer import write_plan

Progress = Callable[[str], None]

# The order counts are shown in: the sheets, with the specialties the Doctor sheet creates.
COUNT_ORDER = (
    "Medication_Cost",
    "Specialty",
    "Doctor",
    "Patient",
    "Appointment",
    "PatientsAttendAppointments",
    "MedicalHistory",
)
# What each count counts, where it is not one record per row.
COUNT_UNITS = {
    "Specialty": "from Doctor.Specialization",
    "PatientsAttendAppointments": "attendances",
    "MedicalHistory": "entries: condition, surgery, medication",
}
_SHEET_ORDER = {spec.name: index for index, spec in enumerate(SHEETS)}


@dataclass
class ImportReport:
    """The outcome of one import: problems, warnings, and per-sheet counts of records created,
    updated and unchanged (what would happen, for a dry run or a workbook with errors)."""

    source: str = ""
    dry_run: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in COUNT_ORDER})
    rows_read: dict[str, int] = field(default_factory=dict)
    # IDs that may name the wrong record (imports.matching.Conflict.as_dict), with the
    # clerk's resolution of each; and per sheet, the updates field by field (the first ones).
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Every update, in the order the check page lists them (imports.changes.ChangeLog.ordered).
    change_list: list[Change] = field(default_factory=list, repr=False)
    # What the new records alone would do (imports.holding.without_updates), per sheet.
    alone: dict[str, Counts] = field(default_factory=dict)
    # Fingerprints of the plan: "all" (creations and updates) and "creations" (alone).
    digests: dict[str, str] = field(default_factory=dict)
    updates_applied: bool = True
    # The plan differed from the one `expect` named: nothing was written; this is a new check.
    stale: bool = False
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unresolved(self) -> int:
        """Conflicts nobody resolved: nothing is imported for them."""
        return sum(1 for c in self.conflicts if c["resolution"] == Resolution.SKIP)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    @property
    def held(self) -> int:
        """Updates (and the new records that need them) left out, not being confirmed."""
        return sum(c.held for c in self.counts.values())

    def count_lines(self) -> list[str]:
        verb = "would be " if self.dry_run or self.errors else ""
        lines = []
        for name in COUNT_ORDER:
            c = self.counts[name]
            unit = f" ({COUNT_UNITS[name]})" if name in COUNT_UNITS else ""
            skipped = f", {c.skipped:,} skipped (conflicts)" if c.skipped else ""
            held = f", {c.held:,} held back (updates not applied)" if c.held else ""
            lines.append(
                f"{name}{unit}: {c.created:,} {verb}created, {c.updated:,} {verb}updated, "
                f"{c.unchanged:,} unchanged{skipped}{held}"
            )
        return lines

    def conflict_lines(self) -> list[str]:
        """Each conflict on a line: the ID, why, and what was decided."""
        return [
            f"{c['sheet']} {c['key']}: {'; '.join(c['reasons'])} "
            f"({dict(c['system']).get('Name', '')} in the system): "
            f"{c['resolution'].replace('_', ' ')}"
            for c in self.conflicts
        ]

    def outcome(self) -> str:
        if self.errors:
            return f"{len(self.errors):,} problem(s) found; nothing was imported."
        held = (
            f" {self.unresolved:,} conflict(s) not resolved: nothing is imported for those IDs."
            if self.unresolved
            else ""
        )
        if self.stale and not self.changed:
            return (
                "The records in the system changed after the check, and now already match "
                "the workbook: there is nothing left to import."
            )
        if self.stale:
            return (
                "The records in the system changed after the check, so nothing was imported: "
                "this is the workbook checked again. Read it and confirm again."
            )
        if self.held:
            held += (
                f" {self.held:,} update(s) to existing records (and the new records that need "
                "them) were not applied, as confirmed."
            )
        if not self.changed:
            if self.held:
                return "Nothing was created." + held
            return "Nothing to change: the system already matches the workbook." + held
        if self.dry_run:
            return "Dry run: the workbook is valid; nothing was written." + held
        return f"Imported in {self.seconds:.1f} s." + held


def _sort(problems: list[Problem]) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (_SHEET_ORDER.get(p.sheet, -1), p.row or 0),
    )


def workbook_import(
    *,
    path_or_file: Any,
    dry_run: bool = False,
    by: Any = None,
    progress: Progress | None = None,
    resolutions: Mapping[str, str] | None = None,
    apply_updates: bool = True,
    expect: str | None = None,
) -> ImportReport:
    """Import the seed-shaped workbook at `path_or_file`: an `.xlsx` path or open file, or a
    folder of CSV files named after the sheets.

    Every problem is reported before anything is written; with any problem, or with
    `dry_run`, nothing is written. Otherwise every sheet is written in one transaction, and a
    refusal by the database (a booking made meanwhile) rolls it all back and is reported.
    `by` is the user recorded in the audit log and on appointment status changes.
    `progress` receives a line now and then on large workbooks.
    An ID that may name the wrong record is a conflict (imports.matching): nothing is written
    for it, nor for the rows that use it, unless `resolutions` (conflict id -> Resolution)
    says "keep both" or "same person"; the rest is imported. Every record updated gets an
    audit row with its fields before and after.
    Without `apply_updates`, only the new records are written, and no record in the system
    changes (imports.holding). With `expect` (a digest the check gave, `report.digests`),
    nothing is written unless the plan is that very one: otherwise the report is `stale`, a
    new check.
    Cost: a few queries per 10,000 rows to read what exists, then a few statements per sheet.
    """
    started = time.monotonic()

    def say(message: str) -> None:
        if progress:
            progress(message)

    book = read_workbook(path_or_file, progress=progress)
    report = ImportReport(source=book.source, dry_run=dry_run, rows_read=dict(book.row_counts))
    report.errors.extend(book.problems)
    if book.unreadable:
        report.errors = _sort(report.errors)
        report.seconds = time.monotonic() - started
        return report

    say("Checking against the records in the system")
    plan = build_plan(book, report.counts, resolutions)
    assess(plan)
    describe(plan.conflicts, book)
    report.conflicts = [conflict.as_dict() for conflict in plan.conflicts]
    report.change_list = plan.changes.ordered()
    report.changes = plan.changes.report()
    report.errors = _sort(report.errors + plan.errors)
    report.warnings = _sort(plan.warnings)
    if report.errors:
        report.seconds = time.monotonic() - started
        return report
    alone = without_updates(plan, book)
    report.alone = alone.counts
    whole = plan_digest(plan)
    report.digests = {"all": whole, "creations": plan_digest(alone) if has_updates(plan) else whole}
    chosen = "all" if apply_updates else "creations"
    if expect is not None and report.digests[chosen] != expect:
        report.stale = report.dry_run = True
    if report.stale or dry_run or not report.changed:
        report.seconds = time.monotonic() - started
        return report
    if not apply_updates:
        plan, report.counts, report.updates_applied = alone, alone.counts, False
        if not report.changed:
            report.seconds = time.monotonic() - started
            return report

    try:
        # One audit INSERT for the summary and every record changed (audit.batch).
        with transaction.atomic(), audit.batch():
            write_plan(plan, by=by, now=timezone.now(), progress=progress)
            audit.audit_record(
                actor=by,
                action=audit.Action.CREATE,
                changes={
                    "workbook_import": {
                        "source": book.source,
                        "counts": {
                            name: {
                                "created": c.created,
                                "updated": c.updated,
                                "unchanged": c.unchanged,
                                "skipped": c.skipped,
                                "held": c.held,
                            }
                            for name, c in report.counts.items()
                        },
                        "conflicts": {c.id: c.resolution for c in plan.conflicts},
                        "updates": "applied" if apply_updates else "not applied",
                    }
                },
            )
    except DatabaseError as exc:
        # Something the checks could not see (a booking made while the workbook was read):
        # the transaction is rolled back as a whole.
        message = " ".join(str(exc).split())
        report.errors.append(
            Problem("Database", None, "", f"refused the import, so nothing was imported: {message}")
        )
    else:
        report.written = True
    report.seconds = time.monotonic() - started
    return report
