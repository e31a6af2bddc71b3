"""`manage.py jobs_status [--max-wait SECONDS]`: the job queue at a glance, for a person or a
monitoring system (exit status 1 when something needs a look).

Prints the workers alive (a heartbeat in the last 30 s), jobs queued, running and stalled, jobs
failed in the last day, and how long the oldest queued job has waited. Exit status 1 when no
worker is alive, a job is stalled, or the oldest queued job waited longer than --max-wait
(default 300 s); failed jobs are listed in the admin and only counted here.
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from jobs.selectors import queue_figures


class Command(BaseCommand):
    help = "Show the job queue's figures; exit status 1 when it needs a look."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--max-wait",
            type=float,
            default=300.0,
            metavar="SECONDS",
            help="longest a queued job may wait before this counts as a problem (default 300)",
        )

    def handle(self, *args, max_wait: float, **options) -> None:
        figures = queue_figures()
        waited = figures.oldest_queued_seconds
        self.stdout.write(
            f"workers alive: {figures.workers_alive}\n"
            f"queued: {figures.queued}\n"
            f"running: {figures.running}\n"
            f"stalled: {figures.stalled}\n"
            f"failed in the last day: {figures.failed_last_day}\n"
            f"oldest queued job waiting: {'-' if waited is None else f'{waited:.0f} s'}"
        )
        problems = []
        if not figures.workers_alive:
            problems.append("no worker is alive: start one (manage.py procrastinate worker)")
        if figures.stalled:
            problems.append(
                f"{figures.stalled} job(s) stalled: their worker stopped (ended within a minute "
                "by any live worker; then retry them in the admin)"
            )
        if waited is not None and waited > max_wait:
            problems.append(
                f"the oldest queued job has waited {waited:.0f} s (more than {max_wait:.0f}): "
                "too few workers, or none on its queue"
            )
        if problems:
            raise CommandError("; ".join(problems))
