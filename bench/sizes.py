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


def share(page: dict, baseline_rps: float) -> float:
    """A page's requests/s as a share of the baseline's: its own paired `share` when it was
    measured beside the baseline round by round, else against the run's baseline."""
    return page.get("share") or page["rps"] / baseline_rps


def pages_tables(
    results: dict[str, dict],
    *,
    baseline: str,
    page_goal: float,
    scale_goal: float,
    describe,
    no_goal: frozenset[str] = frozenset(),
) -> bool:
    """Print, per size, each page's figures and its share of the baseline (goal: at least
    `page_goal` at the largest size), then each page's share at the largest size against the
    smallest (goal: at least `scale_goal`); `describe(label, figures)` is a size's heading.
    Pages in `no_goal` (and the baseline) are shown without a goal. True when all hold."""
    ok = True
    labels = list(results)
    largest = labels[-1]
    free = {baseline, *no_goal}
    for label in labels:
        r = results[label]
        base = r["pages"][baseline]["rps"]
        print(f"\n{describe(label, r)}")
        print(
            f"{'page':34s} {'median ms':>10s} {'req/s':>8s} {'x baseline':>11s} "
            f"{'queries':>8s} {'KB':>7s}  goal (>= {page_goal} of baseline at {largest})"
        )
        for page, m in r["pages"].items():
            if "error" in m:
                ok = False
                print(f"{page:34s} {m['error'][:60]}  FAIL")
                continue
            ratio = share(m, base)
            goal = ""
            if page not in free and label == largest:
                goal = mark(ratio >= page_goal)
                ok &= ratio >= page_goal
            print(
                f"{page:34s} {m['median'] * 1000:10.1f} {m['rps']:8.1f} {ratio:11.2f} "
                f"{m['queries']:8d} {m['kb']:7.1f}  {goal}"
            )
    if len(labels) < 2:
        return ok
    small = labels[0]
    base_a = results[small]["pages"][baseline]["rps"]
    base_b = results[largest]["pages"][baseline]["rps"]
    print(
        f"\nrequests/s at {largest} against {small}: as measured, and each as its share of "
        f"the baseline (goal: the share at {largest} >= {scale_goal} of the share at {small})"
    )
    print(
        f"{'page':34s} {small + ' req/s':>12s} {largest + ' req/s':>12s} {'ratio':>7s} "
        f"{'of baselines':>13s}"
    )
    for page in {**results[small]["pages"], **results[largest]["pages"]}:
        a = results[small]["pages"].get(page, {}).get("rps")
        b = results[largest]["pages"].get(page, {}).get("rps")
        if a is None or b is None:
            ok = False
            shown = [f"{x:12.1f}" if x else f"{'error':>12s}" for x in (a, b)]
            print(f"{page:34s} {shown[0]} {shown[1]}  FAIL")
            continue
        shares = share(results[largest]["pages"][page], base_b) / share(
            results[small]["pages"][page], base_a
        )
        goal = "" if page in free else mark(shares >= scale_goal)
        ok &= page in free or shares >= scale_goal
        print(f"{page:34s} {a:12.1f} {b:12.1f} {b / a:7.2f} {shares:13.2f}  {goal}")
    return ok
