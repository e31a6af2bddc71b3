"""Front-desk throughput on a big hospital: patient search, the day calendar and the booking
page under load, each next to a bare one-query baseline measured in the same run.

    DATABASE_URL=postgres://... .venv/bin/python bench/frontdesk.py [--patients 200000]
        [--doctors 40] [--days 60] [--duration 10] [--connections 4] [--workers N]
        [--only calendar [--only search ...]]

`bench/run.sh` prepares a database of its own on the machine's PostgreSQL and runs this.
Steps, each bounded in count and time:

1. migrate; seed with `seed_demo` when the database has no patients yet (kept for next time);
2. EXPLAIN every search shape: the plans must read indexes only (no Seq Scan on patients);
3. a front-desk user and a session made directly in the database (no login form, no password);
4. gunicorn on 127.0.0.1 at a free port, with `bench.settings` (the project plus a baseline URL);
5. per page: one checked request, a 2-second warm-up, then `wrk --latency` for --duration s;
6. the table: requests/s, p50 and p99 per page, and how many times slower than the baseline.

Loopback only; nothing is sent anywhere else. The exit status is 1 when a plan scans the
patients table or a page does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WARMUP_SECONDS = 2
READY_TIMEOUT = 60  # seconds for gunicorn to answer
SEED_TIMEOUT = 3 * 3600
WRK_THREADS = 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--doctors", type=int, default=40)
    parser.add_argument("--days", type=int, default=60, help="days of history to seed")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument(
        "--connections", type=int, default=0, help="concurrent connections (default: workers)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="load only the pages whose label contains TEXT (repeatable; the baseline always)",
    )
    args = parser.parse_args()
    args.connections = args.connections or args.workers
    args.duration = max(1, min(args.duration, 300))
    args.connections = max(1, min(args.connections, 256))
    args.workers = max(1, min(args.workers, 32))
    return args


def say(text: str) -> None:
    print(text, flush=True)


def manage(*arguments: str, timeout: int) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=ROOT, check=True, timeout=timeout, env=os.environ
    )


# --- database ------------------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> None:
    say("Migrating...")
    manage("migrate", "--noinput", "-v0", timeout=600)
    from patients.models import Patient

    existing = Patient.objects.count()
    if existing:
        say(f"Reusing the seeded database: {existing:,} patients (drop it to reseed).")
        return
    say(f"Seeding {args.patients:,} patients, {args.doctors} doctors, {args.days} days...")
    started = time.monotonic()
    manage(
        "seed_demo",
        f"--patients={args.patients}",
        f"--doctors={args.doctors}",
        f"--days={args.days}",
        timeout=SEED_TIMEOUT,
    )
    say(f"Seeded in {time.monotonic() - started:.0f} s.")


@dataclass
class Targets:
    patient_pk: int
    mrn: str
    name_query: str
    common_query: str
    day: str
    doctor_pk: int


def choose_targets() -> Targets:
    """Real rows of the seeded hospital: a patient in the middle, the commonest last name,
    the busiest of the coming days and its busiest doctor."""
    import datetime

    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from appointments.models import Appointment
    from patients.models import Patient

    ids = Patient.objects.order_by("pk").values_list("pk", flat=True)
    middle = Patient.objects.get(pk=ids[ids.count() // 2])
    common = (
        Patient.objects.values("last_name").annotate(n=Count("pk")).order_by("-n", "last_name")
    )[0]["last_name"]
    today = timezone.localdate()
    upcoming = (
        Appointment.objects.active()
        .filter(start__date__gte=today, start__date__lte=today + datetime.timedelta(days=13))
        .annotate(day=TruncDate("start"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("-n", "day")
    )
    day = upcoming[0]["day"] if upcoming else today
    busiest = (
        Appointment.objects.filter(start__date=day)
        .values("doctor")
        .annotate(n=Count("pk"))
        .order_by("-n", "doctor")
    )
    doctor_pk = busiest[0]["doctor"] if busiest else 1
    return Targets(
        patient_pk=middle.pk,
        mrn=middle.mrn,
        # As typed at the desk: the start of the first name and most of the last name.
        name_query=f"{middle.first_name[:4]} {middle.last_name[:-1]}".lower(),
        common_query=common.lower(),
        day=day.isoformat(),
        doctor_pk=doctor_pk,
    )


def check_plans(targets: Targets) -> bool:
    """EXPLAIN each search shape on the big table; True when none reads patients in full."""
    from django.db import connection

    from patients.models import Patient
    from patients.selectors import patient_duplicates, patient_search

    patient = Patient.objects.get(pk=targets.patient_pk)
    shapes = {
        f"name '{targets.name_query}'": patient_search(query=targets.name_query)[:26],
        f"common name '{targets.common_query}'": patient_search(query=targets.common_query)[:26],
        "typo 'smiht'": patient_search(query="smiht")[:26],
        f"MRN {targets.mrn}": patient_search(query=targets.mrn)[:26],
        "phone": patient_search(query=patient.phone or "555-0100")[:26],
        "date of birth": patient_search(query=str(patient.date_of_birth or "1980-01-01"))[:26],
        "duplicates check": patient_duplicates(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            phone=patient.phone,
        ),
    }
    say("\nSearch plans on the seeded table (EXPLAIN; a Seq Scan on patients fails the run):")
    clean = True
    for label, queryset in shapes.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        scans, indexes = _walk(plan[0]["Plan"])
        full = [s for s in scans if s == "patients_patient"]
        clean &= not full
        verdict = "FULL SCAN of patients" if full else "index only"
        say(f"  {label:34s} {verdict:22s} {', '.join(sorted(indexes))}")
    return clean


def _walk(node: dict) -> tuple[list[str], set[str]]:
    scans, indexes = [], set()
    if node.get("Node Type") == "Seq Scan":
        scans.append(node.get("Relation Name", ""))
    if "Index Name" in node:
        indexes.add(node["Index Name"])
    for child in node.get("Plans", []):
        child_scans, child_indexes = _walk(child)
        scans += child_scans
        indexes |= child_indexes
    return scans, indexes


def session_cookie() -> str:
    """A front-desk user's session, written straight into the session table."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from core import roles

    user, _ = User.objects.get_or_create(
        username="bench_frontdesk", defaults={"first_name": "Bench"}
    )
    user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get(name=roles.FRONT_DESK)])
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(3600)
    store.create()
    return f"sessionid={store.session_key}"


# --- serving and load ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "HMS_LOG_LEVEL": "ERROR",
    }
    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    return subprocess.Popen(
        [
            gunicorn,
            "hms.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=sync",
            "--timeout=60",
            "--log-level=warning",
            f"--chdir={ROOT}",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def wait_until_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before answering")
        try:
            with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer within {READY_TIMEOUT} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


@dataclass
class Page:
    label: str
    path: str
    marker: str
    htmx: bool = False


@dataclass
class Result:
    page: Page
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def fetch_once(base: str, page: Page, cookie: str) -> None:
    headers = {"Cookie": cookie, **({"HX-Request": "true"} if page.htmx else {})}
    request = urllib.request.Request(base + page.path, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
        if response.status != 200 or page.marker not in body:
            raise SystemExit(f"{page.label}: unexpected answer {response.status} at {page.path}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(base: str, page: Page, cookie: str, *, seconds: int, connections: int) -> Result:
    command = [
        "wrk",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=10s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
    ]
    if page.htmx:
        command += ["-H", "HX-Request: true"]
    output = subprocess.run(
        [*command, base + page.path], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    failed = re.search(r"Socket errors:.*", output)
    if failed:
        say(f"  {page.label}: {failed.group(0)}")
    return Result(page, rps, p50, p99, errors)


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    base = results[0]
    say(
        f"\nLoad: wrk {args.connections} connections, {args.duration} s per page, gunicorn "
        f"{args.workers} sync workers, DEBUG off, one front-desk session.\n"
    )
    header = f"{'page':44s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'x baseline':>11s}"
    say(header)
    say("-" * len(header))
    for r in results:
        slower = base.rps / r.rps if r.rps else float("inf")
        errors = f"  ({r.errors} non-2xx!)" if r.errors else ""
        say(
            f"{r.page.label:44s} {r.rps:8.1f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{slower:10.1f}x{errors}"
        )
    say(
        "\nx baseline: the baseline's requests/s divided by the page's (how many times more "
        "work a request of the page is than one primary-key SELECT behind the same middleware)."
    )


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL to the bench database (bench/run.sh does).")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian: apt-get install wrk).")
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    prepare_database(args)
    targets = choose_targets()
    plans_ok = check_plans(targets)
    cookie = session_cookie()

    from appointments.models import Appointment
    from doctors.models import Doctor
    from patients.models import Patient

    say(
        f"\nDatabase: {Patient.objects.count():,} patients, {Doctor.objects.count()} doctors, "
        f"{Appointment.objects.count():,} appointments. Calendar day {targets.day}."
    )
    pages = [
        Page(
            "baseline: one primary-key SELECT",
            f"/bench/baseline/{targets.patient_pk}/",
            targets.mrn,
        ),
        Page(
            f"search '{targets.name_query}' (page)",
            f"/patients/?q={_q(targets.name_query)}",
            "patient-results",
        ),
        Page(
            f"search '{targets.common_query}' (as you type)",
            f"/patients/?q={_q(targets.common_query)}",
            'role="status"',
            htmx=True,
        ),
        Page(
            f"search MRN {targets.mrn} (as you type)",
            f"/patients/?q={targets.mrn}",
            targets.mrn,
            htmx=True,
        ),
        # The page a clerk opens: every doctor of the day, all specialties.
        Page(
            f"day calendar {targets.day}, every doctor of the day",
            f"/appointments/?day={targets.day}",
            'data-testid="calendar"',
        ),
        Page(
            "booking page, one doctor, 7 days of slots",
            f"/appointments/book/?patient={targets.patient_pk}&doctor={targets.doctor_pk}",
            "slot-picker",
        ),
    ]
    if args.only:
        pages = pages[:1] + [p for p in pages[1:] if any(t in p.label for t in args.only)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, args.workers)
    results = []
    try:
        wait_until_ready(base, server)
        for page in pages:
            fetch_once(base, page, cookie)
        for page in pages:
            say(f"Loading: {page.label}")
            run_wrk(base, page, cookie, seconds=WARMUP_SECONDS, connections=args.connections)
            results.append(
                run_wrk(base, page, cookie, seconds=args.duration, connections=args.connections)
            )
    finally:
        stop(server)
    print_table(results, args)
    report = Path(ROOT, "var", "bench")
    report.mkdir(parents=True, exist_ok=True)
    # A run of some pages only (--only) keeps the last full run's figures apart.
    name = "frontdesk-only.json" if args.only else "frontdesk.json"
    (report / name).write_text(
        json.dumps(
            [
                {"page": r.page.label, "rps": r.rps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms}
                for r in results
            ],
            indent=2,
        )
    )
    ok = plans_ok and not any(r.errors for r in results)
    if not plans_ok:
        say("\nFAILED: a search plan reads the whole patients table.")
    return 0 if ok else 1


def _q(text: str) -> str:
    return urllib.parse.quote_plus(text)


if __name__ == "__main__":
    sys.exit(main())
