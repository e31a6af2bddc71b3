"""Report pages, their CSVs and the invoice list at two sizes of hospital, in one run.

    bench/bench_reports.py --database 10k=postgres://... --database 1m=postgres://... [--rounds 5]
    DATABASE_URL=postgres://... bench/bench_reports.py       (that one database: no size ratio)

`make bench` (bench/run.sh) seeds the two databases when missing (BENCH_REPORT_SIZES, default
"10000 1000000") and runs this. Each database is measured by a process of its own (Django
holds one DATABASE_URL per process), as the bench's administrator (made once in the bench's
own database, with its authenticator; each visit writes its audit rows there, as a real one
does), every request in autocommit as a server runs it:

* the baseline: the report list page (session, permission checks, one template, no report SQL);
* each report's page as the menu opens it (the last 90 days on reports over time), and for a
  paged report a page deep in the list: the page token of the row at 90 % of the list, taken
  from the report's selector with `keyed=True` (untimed), passed as `?after=`;
* the invoice list (billing:invoice_list): its first page and the page at the middle of all
  invoices (its own keyset token);
* each report's CSV, with the filters its page shows (the CSV link carries them), in a fresh
  process: time to the first byte (the header line), to the first row, to the last byte, rows,
  and the peak memory it took: the growth of the process's resident high-water mark (VmHWM,
  reset just before the request).

Pages are fetched through Django's test client, one after the other (`--rounds` times after one
warm-up), each fetch of a page right after one of the baseline; requests per second are
1 / median time. A page's ratio to the baseline is the median over its rounds of the baseline's
time / the page's time, the two a moment apart, so the load of a shared machine, which swings
by 2x within a minute, weighs on both alike. Printed per size: milliseconds, requests/s,
that ratio, queries; then per page the large/small ratio of requests/s; then the CSVs. Goals,
marked PASS/FAIL: every report page at the largest size at least 0.1 of the baseline's
requests/s; large/small at least 0.7 for every page (each size's ratio to its own baseline, so
a change of the machine's load between the two runs does not count); every CSV
under 150 MB of peak memory (the goal names a CSV of a million rows; its row count is shown).
The exit status is 1 when a goal fails or a page does not answer 200.

`--only NAME` (repeatable: a report's name, or `invoices` for the invoice list) measures those
pages only, with the baseline; `--no-csv` leaves out the CSV downloads (each is a fresh
process and reads the whole export).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import CHILD_TIMEOUT, figures, mark, measure_each, pages_tables  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hms.settings")

BASELINE = "baseline: report list"
PAGE_GOAL, SCALE_GOAL, CSV_GOAL_MB = 0.1, 0.7, 150
DEEP_AT = 0.9  # where in a paged list the deep page starts


BENCH_USER = "bench-reports-admin"


# --- one database (a child process) ----------------------------------------------------------


def _setup():
    import django

    django.setup()


def _admin_client():
    """A client signed in as the bench's administrator (made once, kept in the bench's own
    database) who has passed the second step: an authenticator app, its code taken, as the
    code page leaves the session. Requests then run as a server runs them, each query in
    autocommit: a CSV's server-side cursor outlives its statement (WITH HOLD) as it does in
    production."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = User.objects.filter(username=BENCH_USER).first()
    if admin is None:
        admin = User.objects.create_superuser(BENCH_USER, password=None)
    device = TOTPDevice.objects.filter(user=admin, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=admin, name="Bench authenticator")
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _fetch(client, path: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise PageError(f"answered {response.status_code}")
    return seconds, len(queries.captured_queries), len(body)


class PageError(Exception):
    """A page that did not answer 200: reported, and the run goes on."""


def _measure(client, path: str, rounds: int, paired: list[float] | None = None) -> dict:
    """The page's figures over `rounds` fetches. With `paired` (a list the baseline's times
    are added to), each fetch of the page follows one of the baseline, and the page's
    `share` is the median of the rounds' baseline time / page time: the two taken a moment
    apart, under the same load of the machine (shared machines swing by 2x in a minute)."""
    try:
        _fetch(client, path)  # warm caches: the first hit reads tables from disk
    except PageError as error:
        print(f"    {path} {error}", file=sys.stderr, flush=True)
        return {"path": path, "error": str(error)}
    runs, shares = [], []
    for _ in range(rounds):
        if paired is not None:
            base = _fetch(client, "/reports/")[0]
            paired.append(base)
        runs.append(_fetch(client, path))
        if paired is not None:
            shares.append(base / runs[-1][0])
    out = figures(path, [seconds for seconds, _, _ in runs], runs[-1][1], runs[-1][2])
    if shares:
        out["share"] = statistics.median(shares)
    return out


def _query(filters) -> str:
    from urllib.parse import urlencode

    return urlencode(filters.as_query())


def _page_filters(report):
    """The filters the report's page shows when opened from the menu."""
    from reports.forms import default_period
    from reports.registry import Filters

    if report.default_period:
        start, end = default_period()
        return Filters(date_from=start, date_to=end)
    return Filters()


def _deep_token(report, filters) -> tuple[str | None, int]:
    """The page token of the row at DEEP_AT of the list, and the list's length."""
    width = len(report.columns)
    tokens, count = [], 0
    for count, row in enumerate(report.rows(filters, keyed=True, stream=True).rows, 1):
        if count % 100 == 1:
            tokens.append(row[width])
    if not tokens:
        return None, 0
    return tokens[min(len(tokens) - 1, int(len(tokens) * DEEP_AT))], count


def _invoice_paths() -> tuple[str, str | None, int]:
    from django.urls import reverse
    from django.utils import timezone

    from billing import selectors

    path = reverse("billing:invoice_list")
    invoices = selectors.invoice_list(today=timezone.localdate())
    n = invoices.count()
    if n < 2 or not hasattr(selectors, "_page_key"):
        return path, None, n
    return path, f"{path}?after={selectors._page_key(invoices[n // 2])}", n


def measure(rounds: int, only: frozenset[str] = frozenset(), csv: bool = True) -> dict:
    """Every page of one database (those of `only` when given); the CSVs each in a process
    of their own (none without `csv`)."""
    _setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # errors: in the table

    from appointments.models import Appointment
    from billing.models import Invoice
    from patients.models import Patient
    from reports.registry import REPORTS

    out: dict = {
        "patients": Patient.objects.count(),
        "appointments": Appointment.objects.count(),
        "invoices": Invoice.objects.count(),
        "pages": {},
        "csv": {},
        "lists": {},
    }
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    csv_paths = {}
    client = _admin_client()
    # The baseline before every fetch of a page (see _measure), all its times together.
    base = _measure(client, "/reports/", rounds)
    paired: list[float] = list(base["times"])
    measure_page = partial(_measure, client, rounds=rounds, paired=paired)
    for name, report in REPORTS.items():
        if only and name not in only:
            continue
        say(f"  {name}...")
        out["pages"][f"{name} page"] = measure_page(f"/reports/{name}/")
        filters = _page_filters(report)
        query = _query(filters)
        csv_paths[name] = f"/reports/{name}/csv/" + (f"?{query}" if query else "")
        if report.paged and "error" not in out["pages"][f"{name} page"]:
            token, length = _deep_token(report, filters)
            out["lists"][name] = length
            if token:
                sep = "&" if query else ""
                path = f"/reports/{name}/?{query}{sep}after={token}"
                out["pages"][f"{name} deep page"] = measure_page(path)
    if not only or "invoices" in only:
        path, deep, n = _invoice_paths()
        out["lists"]["invoices"] = n
        out["pages"]["invoice list"] = measure_page(path)
        if deep:
            out["pages"]["invoice list deep page"] = measure_page(deep)
    out["pages"] = {
        BASELINE: figures("/reports/", paired, base["queries"], int(base["kb"] * 1024)),
        **out["pages"],
    }
    for name, path in csv_paths.items() if csv else ():
        say(f"  {name} CSV...")
        out["csv"][name] = _csv_in_child(path)
    return out


def _csv_in_child(path: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--csv", path],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env=os.environ,
    )
    if done.returncode:
        print(f"    CSV {path} failed:\n{done.stderr[-1500:]}", file=sys.stderr, flush=True)
        return {"error": done.stderr.strip().splitlines()[-1][:200] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_csv(path: str) -> dict:
    """One CSV download in this process: TTFB, total, rows, resident memory it took."""
    _setup()
    client = _admin_client()
    client.get("/reports/")  # templates, URL resolvers, session: loaded before
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _kb("VmRSS")
    started = time.perf_counter()
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")  # the parent says
    first = first_row = None
    rows = size = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        rows += chunk.count(b"\n")
        if first_row is None and rows > 1:
            first_row = time.perf_counter() - started
        size += len(chunk)
    total = time.perf_counter() - started
    result = {
        "ttfb": first or total,
        "first_row": first_row or total,
        "seconds": total,
        "rows": max(0, rows - 1),  # the header
        "mb": size / 2**20,
        "peak_mb": (_kb("VmHWM") - before) / 1024,
    }
    return result


# --- the run: every database, then the comparison --------------------------------------------


def _describe(label: str, r: dict) -> str:
    lists = ", ".join(f"{k} {v:,}" for k, v in r["lists"].items())
    return (
        f"{label}: {r['patients']:,} patients, {r['appointments']:,} appointments, "
        f"{r['invoices']:,} invoices" + (f" (list lengths: {lists})" if lists else "")
    )


def report(results: dict[str, dict]) -> bool:
    """Print the tables; True when every goal holds."""
    labels = list(results)
    ok = pages_tables(
        results,
        baseline=BASELINE,
        page_goal=PAGE_GOAL,
        scale_goal=SCALE_GOAL,
        describe=_describe,
    )
    print(f"\nCSV downloads (the page's filters; goal: peak memory < {CSV_GOAL_MB} MB):")
    print(
        f"{'size':6s} {'report':22s} {'rows':>10s} {'MB':>8s} {'TTFB ms':>9s} "
        f"{'1st row ms':>10s} {'total s':>8s} {'peak MB':>8s}"
    )
    for label in labels:
        for name, c in results[label]["csv"].items():
            if "error" in c:
                ok = False
                print(f"{label:6s} {name:22s} {c['error']}  FAIL")
                continue
            fits = c["peak_mb"] < CSV_GOAL_MB
            ok &= fits
            print(
                f"{label:6s} {name:22s} {c['rows']:10,} {c['mb']:8.1f} {c['ttfb'] * 1000:9.1f} "
                f"{c.get('first_row', 0) * 1000:10.1f} {c['seconds']:8.1f} {c['peak_mb']:8.1f}"
                f"  {mark(fits)}"
            )
    print(f"\nAll goals: {mark(ok)}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="LABEL=URL",
        help="a database to measure, smallest first (default: DATABASE_URL alone)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="measure this report's pages only (repeatable; `invoices`: the invoice list)",
    )
    parser.add_argument("--no-csv", action="store_true", help="leave out the CSV downloads")
    args = parser.parse_args()
    if args.csv:
        print(json.dumps(measure_csv(args.csv)))
        return 0
    if args.measure:
        only = frozenset(os.environ.get("BENCH_REPORT_ONLY", "").split())
        csv = not os.environ.get("BENCH_REPORT_NO_CSV")
        print(json.dumps(measure(max(1, args.rounds), only, csv)))
        return 0
    # The child reads them from its environment (bench.sizes starts it with the rounds only).
    os.environ["BENCH_REPORT_ONLY"] = " ".join(args.only)
    if args.no_csv:
        os.environ["BENCH_REPORT_NO_CSV"] = "1"
    results = measure_each(__file__, args.database, args.rounds, args.json)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
