"""Report pages and CSV downloads on whatever the database holds (make bench: 200,000 patients).

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_reports.py [--rounds 3]

Each report page (`GET /reports/NAME/`, first page of rows, chart, totals) and its CSV (every
row, streamed) is fetched through Django's test client as an administrator, next to a
baseline measured in the same run: the report list page (session, permission checks, one
template, no report SQL). Printed: best and median milliseconds, queries, and the ratio of
the best time to the baseline's. The administrator is made inside a transaction that is
rolled back at the end; nothing else is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from appointments.models import Appointment  # noqa: E402
from patients.models import Patient  # noqa: E402
from reports.registry import REPORTS  # noqa: E402


class Rollback(Exception):
    """Leaves the bench's transaction, undoing the user it made."""


def _fetch(client: Client, path: str) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return seconds, len(queries.captured_queries), len(body)


def _measure(client: Client, path: str, rounds: int) -> dict:
    _fetch(client, path)  # warm caches: the first hit reads tables from disk
    runs = [_fetch(client, path) for _ in range(rounds)]
    times = [seconds for seconds, _, _ in runs]
    return {
        "best": min(times),
        "median": statistics.median(times),
        "queries": runs[-1][1],
        "kb": runs[-1][2] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Reports on {Patient.objects.count():,} patients, "
        f"{Appointment.objects.count():,} appointments ({args.rounds} rounds, best and median)"
    )
    try:
        with transaction.atomic():
            admin = User.objects.create_superuser("bench-reports-admin", password=None)
            client = Client()
            client.force_login(admin)
            baseline = _measure(client, "/reports/", args.rounds)
            header = f"{'page':34s} {'best ms':>9s} {'median ms':>10s} {'queries':>8s} {'KB':>8s}"
            print(header + f" {'x baseline':>11s}")
            rows = [("baseline: report list", baseline)]
            for name in REPORTS:
                rows.append((f"{name} page", _measure(client, f"/reports/{name}/", args.rounds)))
                rows.append((f"{name} CSV", _measure(client, f"/reports/{name}/csv/", 1)))
            for label, m in rows:
                ratio = m["best"] / baseline["best"]
                print(
                    f"{label:34s} {m['best'] * 1000:9.0f} {m['median'] * 1000:10.0f} "
                    f"{m['queries']:8d} {m['kb']:8.0f} {ratio:10.1f}x"
                )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
