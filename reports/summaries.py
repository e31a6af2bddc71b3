"""The summaries of reports.models for bulk loaders that run in parallel.

The triggers of migration reports 0001 (and billing 0011, the bills) keep the summaries exact
in every writer's transaction, locking the rows they recompute until it commits. Parallel
loaders whose long transactions touch the same patients (seed_demo --jobs N) would deadlock on
those rows: each of their transactions calls `defer()` first, and once all are committed, one
call to `rebuild()` makes the summaries again from everything committed. A single loader
needs neither.
"""

from django.db import connection

from appointments.rollups import rollups_rebuild
from billing import bill_summary
from billing import summaries as billing_summaries


def defer() -> None:
    """Leave the summaries to `rebuild()` for the rest of this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL hms.defer_summaries = 'on'")


def rebuild() -> None:
    """Recompute every summary from the committed rows (a few seconds per 100,000 patients),
    the patients' bills (billing.bill_summary), the invoices' tallies (billing.summaries) and
    the appointment roll-ups (appointments.rollups) included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reports_rebuild_summaries()")
    bill_summary.rebuild()
    billing_summaries.rebuild()
    rollups_rebuild()
