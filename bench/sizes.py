"""What the benchmarks that compare two sizes of hospital share (bench_reports.py,
bench_fhir.py): each database measured by a child process of the script (Django holds one
DATABASE_URL per process), figures from a list of times, PASS/FAIL marks."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

CHILD_TIMEOUT = 4 * 3600


def figures(path: str, times: list[float], queries: int, size: int) -> dict:
    """A request's figures from its times: median, best, requests/s (1 / median)."""
    median = statistics.median(times)
    return {
        "path": path,
        "median": median,
        "best": min(times),
        "rps": 1 / median,
        "queries": queries,
        "kb": size / 1024,
        "times": times,
    }


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measure_in_child(script: str, url: str | None, rounds: int) -> dict:
    """`script --measure --rounds N` on the database `url` (None: this one's), in a process
    of its own; its figures, the JSON of its last line of output."""
    env = dict(os.environ)
    if url:
        env["DATABASE_URL"] = url
    done = subprocess.run(
        [sys.executable, script, "--measure", "--rounds", str(rounds)],
        stdout=subprocess.PIPE,
        text=True,
        timeout=CHILD_TIMEOUT,
        env=env,
    )
    if done.returncode:
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_each(
    script: str, databases: list[str], rounds: int, json_file: str | None
) -> dict[str, dict]:
    """Every `label=url` of `databases` (none: DATABASE_URL alone, as "db"), smallest first,
    measured by `script` in a child; written to `json_file` too when given."""
    results = {}
    for label, url in [tuple(d.split("=", 1)) for d in databases] or [("db", None)]:
        print(f"Measuring {label}...", file=sys.stderr, flush=True)
        results[label] = measure_in_child(script, url, rounds)
    if json_file:
        with open(json_file, "w") as out:
            json.dump(results, out, indent=1)
    return results
