"""`manage.py audit_verify [--expect-head POSITION:HASH]`: check the audit log's hash chain.

Walks the chain in order (core.audit_chain.chain_verify, one pass inside PostgreSQL) and names
the first broken row: its id, time, position and what is wrong there. Exit status 1 when the
chain is broken or an expected head disagrees, 0 with a summary (rows checked, chain head)
when it holds.

The head it prints (and logs, on the `core.audit_chain` logger) is what catches a chain that
was recomputed after the fact: a rewrite of every row after a change checks out on its own,
but not against a head kept from before it. Keep each day's head (the application log does,
and every backup's manifest holds one) and give an old one to `--expect-head`.
"""

from __future__ import annotations

import argparse
import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit_chain import ChainHead, chain_verify

logger = logging.getLogger("core.audit_chain")


def _head(value: str) -> ChainHead:
    try:
        return ChainHead.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class Command(BaseCommand):
    help = "Check the audit log's hash chain; name the first broken row (exit status 1)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--expect-head",
            type=_head,
            metavar="POSITION:HASH",
            help="A chain head printed by an earlier run or kept in a backup's manifest: the "
            "row at that position must still have that hash.",
        )

    def handle(self, *args, **options) -> None:
        check = chain_verify(expect=options["expect_head"])
        problems = []
        if check.broken is not None:
            broken = check.broken
            when = timezone.localtime(broken.created_at).isoformat(timespec="seconds")
            problems.append(
                f"Audit chain broken at id {broken.id} (position {broken.position}, "
                f"written {when}): {broken.problem}."
            )
        if check.head_problem:
            problems.append(f"Audit chain disagrees with the expected head: {check.head_problem}.")
        if problems:
            for problem in problems:
                logger.error(problem)
            raise CommandError("\n".join(problems))
        if check.head is None:
            summary = "Audit chain intact: the log is empty."
        else:
            summary = (
                f"Audit chain intact: {check.rows} rows checked. Chain head: {check.head} "
                "(keep it; `audit_verify --expect-head` with it shows whether rows up to it "
                "were rewritten later)."
            )
        logger.info(summary)
        self.stdout.write(summary)
