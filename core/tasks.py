"""The ground's periodic job: the audit log's nightly check.

(The job engine's own app lives in `jobs`, a layer above this one; tasks of the ground take
procrastinate's Django app directly, which is the same object as `jobs.app`.)"""

from __future__ import annotations

import io
import logging

from django.core.mail import mail_admins
from django.core.management import call_command
from django.core.management.base import CommandError
from procrastinate.contrib.django import app

logger = logging.getLogger("core.audit_chain")


@app.periodic(cron="30 2 * * *")
@app.task(name="core.audit_verify_nightly", queue="default", queueing_lock="core.audit_verify")
def audit_verify_nightly(timestamp: int) -> str:
    """Every night at 02:30 UTC: `manage.py audit_verify`. An intact chain logs its head (the
    command does, on `core.audit_chain`, so the log keeps each night's); a broken one is
    logged as critical, mailed to HMS_ALERT_EMAILS, and fails the job, so that the
    administrators' job list shows it with the first broken row."""
    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as broken:
        logger.critical("Nightly audit check: %s", broken)
        mail_admins("Audit log check failed", str(broken), fail_silently=True)
        raise
    return out.getvalue().strip()
