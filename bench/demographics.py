"""The demographics report's selector, in process, at several sizes of hospital (issue 14).

    bench/demographics.py --database 10k=postgres://... --database 1m=postgres://... [--rounds 50]
    DATABASE_URL=postgres://... bench/demographics.py

Each database is measured by a process of its own (Django holds one DATABASE_URL per process):
one warm-up, then `--rounds` calls of reports.selectors.demographics_report (the page's one
query, all its rows fetched); printed per size: active patients, the median and best time in
milliseconds, and the rows of the summaries the query read (EXPLAIN ANALYZE), then the
largest/smallest ratio of the medians. Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")


def _rows_read(plan: dict) -> int:
    """Rows that came out of the plan's scans of tables (its leaves), loops included."""
    below = plan.get("Plans", [])
    own = plan["Actual Rows"] * plan["Actual Loops"] if "Relation Name" in plan else 0
    return own + sum(_rows_read(p) for p in below)


def measure(rounds: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from patients.models import Patient
    from reports import selectors

    with CaptureQueriesContext(connection) as captured:
        rows = list(selectors.demographics_report().rows)  # warm-up
    (query,) = captured.captured_queries
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        list(selectors.demographics_report().rows)
        times.append((time.perf_counter() - start) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
    return {
        "patients": Patient.objects.filter(is_active=True).count(),
        "median_ms": statistics.median(times),
        "best_ms": min(times),
        "rows_read": _rows_read(plan[0]["Plan"]),
        "total": sum(r[-1] for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", default=[], metavar="LABEL=URL")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child or not args.database:
        print(json.dumps(measure(args.rounds)))
        return 0
    found = {}
    for pair in args.database:
        label, _, url = pair.partition("=")
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--rounds", str(args.rounds)],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found[label] = json.loads(out.strip().splitlines()[-1])
    print(f"{'size':>6} {'active':>9} {'median ms':>10} {'best ms':>8} {'rows read':>10}")
    for label, f in found.items():
        print(
            f"{label:>6} {f['patients']:>9} {f['median_ms']:>10.2f} {f['best_ms']:>8.2f} "
            f"{f['rows_read']:>10}"
        )
        assert f["total"] == f["patients"], f"{label}: the bands do not add up to the patients"
    medians = [f["median_ms"] for f in found.values()]
    print(f"largest/smallest median: {medians[-1] / medians[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
